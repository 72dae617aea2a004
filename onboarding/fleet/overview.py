"""The fleet view (issue 14): every tenant with lifecycle, health, worst finding, secret expiry,
last successful sync, licences and current job; filters and sorts shared by the page, its CSV export
and `GET /api/v1/tenants/`. One query for the rows however many tenants (annotations, no N+1).
"""

from __future__ import annotations

from datetime import timedelta

from django.apps import apps
from django.db.models import Case, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from onboarding.health.codes import CODES
from onboarding.models import JobState
from onboarding.tracking import latest_job_of
from tenants.models import HealthState, Lifecycle

SEVERITY_ORDER = ("critical", "high", "error", "warning", "medium", "low", "info")
STALE_SYNC = timedelta(hours=48)
SORTS = {
    "name": ("name", "pk"),
    "lifecycle": ("lifecycle", "name"),
    "health": ("health_rank", "name"),
    "secret_expiry": (F("secret_expiry_at").asc(nulls_last=True), "name"),
    "last_sync": (F("last_sync_at").asc(nulls_first=True), "name"),
    "licences": (F("licences_free").asc(nulls_last=True), "name"),
    "job": ("job_state", "name"),
}
FILTER_WORDS = {
    "lifecycle": "lifecycle",
    "health": "health",
    "adopted": "adopted (true/false)",
    "job": "current job state (or none)",
    "secret": "secret (expired, expiring, ok, unknown)",
    "sync": "sync (stale, ok, never)",
    "licences": "licences (over, ok)",
    "finding": "worst finding code",
}


# The values each fleet filter takes (the API schema states them; filter_fleet checks them).
FILTER_CHOICES = {
    "adopted": ["true", "false"],
    "job": ["none", *JobState.values],
    "secret": ["expired", "expiring", "ok", "unknown"],
    "sync": ["stale", "ok", "never"],
    "licences": ["over", "ok"],
    "finding": list(CODES),
}
SORT_CHOICES = [*SORTS, *(f"-{name}" for name in SORTS)]


class FleetFilterError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _finding_model():
    try:
        return apps.get_model("onboarding", "TenantFinding")  # type: ignore[misc]
    except LookupError:  # the health checks' model (another change) is not installed here yet
        return None


def fleet(tenants):
    """The tenants annotated with everything the fleet view shows."""
    latest = latest_job_of()
    rows = tenants.select_related("proofpoint_snapshot").annotate(
        job_id=Subquery(latest.values("pk")[:1]),
        job_state=Subquery(latest.values("state")[:1]),
        job_step=Subquery(latest.values("current_step")[:1]),
        secret_expiry_at=Coalesce(
            "proofpoint_snapshot__secret_expiry", "entra_app__secret_expires_at"
        ),
        last_sync_at=F("proofpoint_snapshot__last_successful_sync"),
        licences_total=F("proofpoint_snapshot__user_licenses"),
        licences_used=F("proofpoint_snapshot__active_users"),
        licences_free=F("proofpoint_snapshot__user_licenses")
        - F("proofpoint_snapshot__active_users"),
        health_rank=Case(
            When(health_state=HealthState.CRITICAL, then=Value(0)),
            When(health_state=HealthState.WARNING, then=Value(1)),
            When(health_state=HealthState.UNKNOWN, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        ),
    )
    model = _finding_model()
    if model is not None:
        rank = Case(
            *[When(severity=s, then=Value(i)) for i, s in enumerate(SEVERITY_ORDER)],
            default=Value(len(SEVERITY_ORDER)),
            output_field=IntegerField(),
        )
        worst = (
            model.objects.filter(tenant=OuterRef("pk"), closed_at__isnull=True)
            .annotate(rank=rank)
            .order_by("rank", "-first_seen_at")
        )
        rows = rows.annotate(
            worst_finding_code=Subquery(worst.values("code")[:1]),
            worst_finding_message=Subquery(worst.values("message")[:1]),
            worst_finding_severity=Subquery(worst.values("severity")[:1]),
        )
    else:
        rows = rows.annotate(
            worst_finding_code=Value(""),
            worst_finding_message=Value(""),
            worst_finding_severity=Value(""),
        )
    return rows


def _choice(field: str, value: str, choices) -> str:
    if value not in choices:
        raise FleetFilterError(field, f"'{value}' is not one of: {', '.join(choices)}.")
    return value


def filter_fleet(rows, params):
    """Apply `?lifecycle= health= adopted= job= secret= sync= licences= finding= q= sort=`."""
    now = timezone.now()
    get = lambda name: (params.get(name) or "").strip()  # noqa: E731
    if get("lifecycle"):
        rows = rows.filter(lifecycle=_choice("lifecycle", get("lifecycle"), Lifecycle.values))
    if get("health"):
        rows = rows.filter(health_state=_choice("health", get("health"), HealthState.values))
    if get("adopted"):
        rows = rows.filter(
            adopted=_choice("adopted", get("adopted").lower(), FILTER_CHOICES["adopted"]) == "true"
        )
    if get("job"):
        state = _choice("job", get("job"), FILTER_CHOICES["job"])
        rows = (
            rows.filter(job_state__isnull=True) if state == "none" else rows.filter(job_state=state)
        )
    if get("secret"):
        secret = _choice("secret", get("secret"), FILTER_CHOICES["secret"])
        soon = now + timedelta(days=30)
        rows = rows.filter(
            {
                "expired": Q(secret_expiry_at__lte=now),
                "expiring": Q(secret_expiry_at__gt=now, secret_expiry_at__lte=soon),
                "ok": Q(secret_expiry_at__gt=soon),
                "unknown": Q(secret_expiry_at__isnull=True),
            }[secret]
        )
    if get("sync"):
        sync = _choice("sync", get("sync"), FILTER_CHOICES["sync"])
        rows = rows.filter(
            {
                "stale": Q(last_sync_at__lt=now - STALE_SYNC),
                "ok": Q(last_sync_at__gte=now - STALE_SYNC),
                "never": Q(last_sync_at__isnull=True),
            }[sync]
        )
    if get("licences"):
        licences = _choice("licences", get("licences"), FILTER_CHOICES["licences"])
        rows = (
            rows.filter(licences_free__lt=0)
            if licences == "over"
            else rows.filter(licences_free__gte=0)
        )
    if get("finding"):
        rows = rows.filter(
            worst_finding_code=_choice("finding", get("finding"), FILTER_CHOICES["finding"])
        )
    if get("q"):
        term = get("q")[:200]
        rows = rows.filter(Q(name__icontains=term) | Q(primary_domain__icontains=term))
    sort = get("sort") or "name"
    descending = sort.startswith("-")
    key = _choice("sort", sort.lstrip("-"), list(SORTS))
    return rows.order_by(*(_reverse(o) if descending else o for o in SORTS[key]))


def _reverse(order):
    if isinstance(order, str):
        return order[1:] if order.startswith("-") else f"-{order}"
    # Reversed, the unknowns (no snapshot yet) still come last.
    if order.descending:
        return order.expression.asc(nulls_last=True)
    return order.expression.desc(nulls_last=True)


def csv_header() -> list[str]:
    return [
        "tenant",
        "primary domain",
        "lifecycle",
        "adopted",
        "health",
        "worst finding",
        "secret expiry",
        "last successful sync",
        "licences used",
        "licences available",
        "current job",
        "current step",
    ]


def csv_row(t) -> list:
    return [
        t.name,
        t.primary_domain,
        t.get_lifecycle_display(),
        "yes" if t.adopted else "no",
        t.get_health_state_display(),
        t.worst_finding_message or t.worst_finding_code or "",
        _iso(t.secret_expiry_at),
        _iso(t.last_sync_at),
        "" if t.licences_used is None else t.licences_used,
        "" if t.licences_total is None else t.licences_total,
        t.job_state or "",
        t.job_step or "",
    ]


def _iso(value) -> str:
    return value.isoformat() if value else ""
