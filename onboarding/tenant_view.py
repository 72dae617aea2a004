"""What pages and the API show of a tenant's own state (api.md v1.1): its lifecycle and its health,
before its jobs, which are history.

The health checks and their findings are kept by onboarding/health/; this module only reads
Tenant.health_state / health_checked_at and the open TenantFinding rows, for many tenants at once.
"""

from __future__ import annotations

from collections.abc import Iterable

from onboarding.models import (
    ProofpointSnapshot,
    RestoreState,
    SettingsSnapshot,
    TenantFinding,
    brought_in_without_app,
)
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
    if brought_in_without_app(tenant):
        return takeover_promise(tenant)
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


def takeover_promise(tenant: Tenant) -> dict:
    """An onboarding of a live tenant brought in from Proofpoint, whose sync app the portal does
    not hold: it takes the sync over with the portal's own app, the only way to manage it."""
    hours = tenant.sync_frequency_hours
    snapshot = ProofpointSnapshot.objects.filter(tenant=tenant).first()
    named = (
        f" (client id {snapshot.application_id})" if snapshot and snapshot.application_id else ""
    )
    return {
        "summary": f"{tenant.name} is live, with a sync app the portal did not make{named}. An "
        "onboarding takes the sync over with the portal's own app; the sync keeps running every "
        f"{hours} h throughout (never paused).",
        "will": [
            "ask the customer's admin (by email) to approve the portal's app, unless the portal "
            "already has consent in their Microsoft 365;",
            "make the portal's own sync app in Entra ID, grant its permissions and make a secret "
            "the portal holds;",
            f"save the Azure sync settings with the portal's app instead of the current one, every "
            f"{hours} h;",
            "check the Proofpoint org and add any missing domain;",
            "build a new sync report: no account is added, changed or deleted until you "
            "approve it.",
        ],
        "will_not": [
            "delete the current sync app: it stays in the customer's Entra ID, unused, for them "
            "(or you) to remove once the new sync works;",
            "pause the sync or change its frequency;",
            "touch mail routing (MX records, connectors).",
        ],
        # The undo PUTs the old fields with the secret the portal holds: for the old app it holds
        # none, so a restore after the settings changed is refused (and shown), not silent.
        "undo": "If you cancel it, or it fails, before Proofpoint's settings are saved, nothing "
        "changes there. After that the portal cannot put the old app back in Proofpoint's "
        "settings (it never held that app's secret): the tenant page says so, and the old "
        "secret would have to be entered again in the Proofpoint portal.",
    }
