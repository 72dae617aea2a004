"""The sync report's reads and changes, shared by the review page and the REST API (api.md, "The
report").

Filters arrive as strings from a query string or JSON (or as real booleans from JSON); anything that
does not fit raises ReportFilterError(field, message), which pages show as a message and the API as
`400 {field: [message]}`. Never a 500 for any input.
"""

from collections.abc import Iterable, Mapping

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from onboarding import audit, engine
from onboarding.engine.dispatch import dispatch
from onboarding.models import (
    AccountKind,
    JobState,
    OnboardingJob,
    Section,
    StepKey,
    StepState,
    SyncReportRow,
)

REPORT_FILTERS = ("section", "kind", "licensed", "enabled", "guest", "excluded")
BOOLEAN_FILTERS = ("licensed", "enabled", "guest", "excluded")
ORDERINGS = ("email", "display_name", "section", "kind")
MAX_SEARCH_LENGTH = 200
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


class ReportFilterError(ValueError):
    """A filter value that does not fit; `field` names the parameter, `message` says why."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# --- reading -------------------------------------------------------------------------------------
def parse_bool(field: str, value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ReportFilterError(field, f"Use true or false, not {str(value)[:40]!r}.")


def _choice(field: str, value, choices) -> str:
    text = str(value).strip().lower()
    if text not in choices.values:
        allowed = ", ".join(choices.values)
        raise ReportFilterError(field, f"{str(value)[:40]!r} is not one of {allowed}.")
    return text


def _get(params: Mapping, key: str):
    """One value from a QueryDict or a dict; blank means "no filter"."""
    value = params.get(key) if params is not None else None
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value


def clean_filters(params: Mapping | None) -> dict:
    """The recognised, validated filters of `params` (unknown keys are ignored)."""
    cleaned: dict = {}
    for field in ("section", "kind"):
        value = _get(params, field)
        if value is not None:
            cleaned[field] = _choice(field, value, Section if field == "section" else AccountKind)
    for field in BOOLEAN_FILTERS:
        value = _get(params, field)
        if value is not None:
            cleaned[field] = parse_bool(field, value)
    search = _get(params, "search")
    if search is not None:
        if not isinstance(search, str) or len(search) > MAX_SEARCH_LENGTH:
            raise ReportFilterError(
                "search", f"Search with text of at most {MAX_SEARCH_LENGTH} characters."
            )
        if "\x00" in search:
            raise ReportFilterError("search", "Search text cannot contain NUL characters.")
        cleaned["search"] = search.strip()
    ordering = _get(params, "ordering")
    if ordering is not None:
        if str(ordering).lstrip("-") not in ORDERINGS:
            allowed = ", ".join(ORDERINGS)
            raise ReportFilterError(
                "ordering", f"Sort by one of {allowed} (a leading - reverses it)."
            )
        cleaned["ordering"] = str(ordering)
    return cleaned


def filter_rows(rows: QuerySet, params: Mapping | None) -> QuerySet:
    """Apply the api.md filters, search and ordering to a queryset of SyncReportRow."""
    cleaned = clean_filters(params)
    conditions = {field: cleaned[field] for field in REPORT_FILTERS if field in cleaned}
    rows = rows.filter(**conditions)
    if cleaned.get("search"):
        term = cleaned["search"]
        rows = rows.filter(Q(email__icontains=term) | Q(display_name__icontains=term))
    ordering = cleaned.get("ordering", "email")
    # email is unique per job, so it makes any ordering total (stable pages).
    return (
        rows.order_by(ordering, "email")
        if ordering.lstrip("-") != "email"
        else rows.order_by(ordering)
    )


def active_filters(params: Mapping | None) -> dict:
    """The filters (not search/ordering) that are set, for "everything matching this filter"."""
    cleaned = clean_filters(params)
    return {key: value for key, value in cleaned.items() if key in (*REPORT_FILTERS, "search")}


def summary(job: OnboardingJob) -> dict:
    """Counts per section and excluded counts per section, plus totals, in one aggregate query."""
    aggregates = {"total": Count("pk"), "excluded_total": Count("pk", filter=Q(excluded=True))}
    for section in Section.values:
        aggregates[section] = Count("pk", filter=Q(section=section))
        aggregates[f"excluded_{section}"] = Count("pk", filter=Q(section=section, excluded=True))
    counts = SyncReportRow.objects.filter(job=job).aggregate(**aggregates)
    return {
        "sections": {section: counts[section] for section in Section.values},
        "excluded": {section: counts[f"excluded_{section}"] for section in Section.values},
        "total": counts["total"],
        "excluded_total": counts["excluded_total"],
    }


# --- changing ------------------------------------------------------------------------------------
def _require_review(job: OnboardingJob) -> None:
    job.refresh_from_db(fields=["state"])
    if job.state != JobState.WAITING_REVIEW:
        raise engine.NotAllowedNow(
            f"The report can only be changed while the onboarding waits for review "
            f"(it is {job.get_state_display().lower()})."
        )


MAX_ROW_ID = 2**31 - 1  # the API's bound (serializers.MAX_ID): what the database can hold
MAX_IDS = 100_000


def _clean_ids(ids: Iterable) -> list[int]:
    """Row ids from a form or JSON, with the API's bounds: whole numbers from 1 to MAX_ROW_ID."""
    try:
        cleaned = [int(value) for value in ids]
    except (TypeError, ValueError, OverflowError):
        raise ReportFilterError("ids", "Send a list of row ids (whole numbers).") from None
    if len(cleaned) > MAX_IDS:
        raise ReportFilterError("ids", f"Choose at most {MAX_IDS:,} rows at a time.")
    if any(not 0 < value <= MAX_ROW_ID for value in cleaned):
        raise ReportFilterError(
            "ids",
            f"Row ids are whole numbers from 1 to {MAX_ROW_ID}; reload the report and try again.",
        )
    return cleaned


def set_excluded(
    job: OnboardingJob, *, excluded: bool, ids=None, filters=None, actor=None, request=None
) -> int:
    """Exclude (or include again) rows chosen by id or by filter. Returns how many rows changed."""
    if ids is None and filters is None:
        raise ReportFilterError("ids", "Choose rows by ids or by a filter.")
    _require_review(job)
    rows = SyncReportRow.objects.filter(job=job)
    if ids is not None:
        rows = rows.filter(pk__in=_clean_ids(ids))
    if filters is not None:
        rows = filter_rows(rows, filters).order_by()
    if excluded:  # already exempt from sync (guests, admins, Proofpoint's list): nothing to exclude
        rows = rows.exclude(section=Section.EXEMPT)
    changed = rows.exclude(excluded=excluded).update(excluded=excluded)
    verb = "Excluded" if excluded else "Included again"
    how = f"{len(ids)} chosen row(s)" if ids is not None else f"filter {_describe(filters)}"
    audit.record(
        "report.excluded" if excluded else "report.included",
        f"{verb} {changed} account(s) of the sync report ({how})",
        request=request,
        user=actor,
        job=job,
    )
    return changed


def _describe(filters: Mapping | None) -> str:
    cleaned = active_filters(filters)
    return ", ".join(f"{key}={value}" for key, value in cleaned.items()) or "(everything)"


def approve(job: OnboardingJob, actor=None, request=None) -> None:
    """Record who approved the report and when, then wake the review step (which starts the
    import)."""
    with transaction.atomic():
        locked = OnboardingJob.objects.select_for_update().get(pk=job.pk)
        if locked.state != JobState.WAITING_REVIEW:
            raise engine.NotAllowedNow(
                f"Only a report waiting for review can be approved (this onboarding is "
                f"{locked.get_state_display().lower()})."
            )
        step = locked.steps.get(key=StepKey.REVIEW)
        if step.data.get("approved_at"):
            raise engine.NotAllowedNow(
                f"This report was already approved by {step.data.get('approved_by')}; the import "
                "is starting."
            )
        who = actor or (
            request.user if request is not None and request.user.is_authenticated else None
        )
        step.data = {
            **step.data,
            "approved_at": timezone.now().isoformat(),
            "approved_by": who.get_username() if who else "system",
            "approved_by_id": who.pk if who else None,
        }
        step.save(update_fields=["data"])
    counts = summary(job)
    audit.record(
        "report.approved",
        f"Approved the sync report ({counts['total']} accounts, {counts['excluded_total']} "
        "excluded)",
        request=request,
        user=actor,
        job=job,
    )
    engine.resume(job, StepKey.REVIEW)


def rebuild_report(job: OnboardingJob, actor, request=None) -> None:
    """Read the directory again: build_report and review go back to pending and the job resumes."""
    with transaction.atomic():
        locked = OnboardingJob.objects.select_for_update().get(pk=job.pk)
        allowed = (JobState.WAITING_REVIEW, JobState.FAILED)
        review = locked.steps.filter(key=StepKey.REVIEW).first()
        if locked.state not in allowed or review is None or review.data.get("approved_at"):
            raise engine.NotAllowedNow(
                "Only a report that has not been approved yet can be rebuilt."
            )
        locked.steps.filter(key__in=[StepKey.BUILD_REPORT, StepKey.REVIEW]).update(
            state=StepState.PENDING,
            message="Rebuild requested.",
            attempts=0,
            data={},
            finished_at=None,
            wake_at=None,
            deadline_at=None,
            next_attempt_at=None,
            lease_expires_at=None,
        )
        OnboardingJob.objects.filter(pk=locked.pk).update(
            state=JobState.RUNNING,
            current_step=StepKey.BUILD_REPORT,
            state_changed_at=timezone.now(),
        )
    audit.record(
        "report.rebuilt",
        "Asked for the sync report to be built again",
        request=request,
        user=actor,
        job=job,
    )
    job.refresh_from_db()
    dispatch(job.pk)
