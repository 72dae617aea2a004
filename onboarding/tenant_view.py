"""What pages and the API show of a tenant's own state (api.md v1.1): its lifecycle and its health,
before its jobs, which are history.

The health checks and their findings are kept by onboarding/health/; this module only reads
Tenant.health_state / health_checked_at and the open TenantFinding rows, for many tenants at once.
"""

from __future__ import annotations

from collections.abc import Iterable

from onboarding.models import RestoreState, SettingsSnapshot, TenantFinding
from tenants.models import HealthState, Lifecycle, Tenant

FINDING_FIELDS = ("code", "severity", "message", "first_seen_at", "fixable")
SEVERITY_ORDER = {"critical": 0, "warning": 1}


def open_findings(tenant_ids: Iterable[int]) -> dict[int, list[dict]]:
    """The open findings of these tenants, worst first, in one query."""
    ids = list(tenant_ids)
    if not ids:
        return {}
    rows = TenantFinding.objects.filter(tenant_id__in=ids, closed_at__isnull=True)
    found: dict[int, list[dict]] = {}
    for row in rows.order_by("first_seen_at", "pk"):
        found.setdefault(row.tenant_id, []).append(
            {name: getattr(row, name) for name in FINDING_FIELDS}
        )
    for findings in found.values():
        findings.sort(key=lambda f: SEVERITY_ORDER.get(f["severity"], 2))
    return found


def health_of(tenant: Tenant, findings: dict[int, list[dict]] | None = None) -> dict:
    """api.md's `health` object: {state, checked_at, findings}; `findings` from open_findings()."""
    if findings is None:
        findings = open_findings([tenant.pk])
    return {
        "state": tenant.health_state,
        "checked_at": tenant.health_checked_at,
        "findings": findings.get(tenant.pk, []),
    }


def health_label(state: str) -> str:
    return dict(HealthState.choices).get(state, state)


def lifecycle_label(state: str) -> str:
    return dict(Lifecycle.choices).get(state, state)


def failed_restores(tenant: Tenant):
    """Jobs whose Proofpoint settings could not be put back (the tenant page shows them)."""
    return (
        SettingsSnapshot.objects.filter(job__tenant=tenant, restore_state=RestoreState.FAILED)
        .select_related("job")
        .order_by("-job__created_at")
    )


def restoring(tenant: Tenant):
    return SettingsSnapshot.objects.filter(
        job__tenant=tenant, restore_state=RestoreState.PENDING
    ).exists()


def rerun_promise(tenant: Tenant) -> dict | None:
    """What a new onboarding of a live tenant will and will not touch (the page and the
    confirmation)."""
    if tenant.lifecycle != Lifecycle.LIVE:
        return None
    hours = tenant.sync_frequency_hours
    return {
        "summary": f"{tenant.name} is live. Its Azure sync keeps running every {hours} h "
        "throughout the new "
        "onboarding (never paused).",
        "will": [
            "check the sync app in Entra ID, its permissions and its secret, and fix what is "
            "missing "
            "(the current secret is kept);",
            "check the Proofpoint org and add any missing domain;",
            f"save the Azure sync settings again, with the sync every {hours} h;",
            "build a new sync report: no account is added, changed or deleted until you "
            "approve it.",
        ],
        "will_not": [
            "pause the sync or change its frequency;",
            "touch mail routing (MX records, connectors);",
            "email the customer, unless an approval is missing (for example, consent was revoked).",
        ],
        "undo": "If you cancel it, or it fails, the Proofpoint settings it changed are put back as "
        "they were.",
    }
