"""The sync report review page: sections, filters, search, paging, exclude/include, CSV, approve,
rebuild.

Every read and change goes through onboarding.report_queries, the same functions the REST API calls,
so a page and a script can do exactly the same things. The page runs a fixed number of queries
whatever the number of rows (a count, one page of rows, one aggregate summary).
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from onboarding.access import get_job_for_user
from onboarding.engine.errors import NotAllowedNow
from onboarding.models import AccountKind, JobState, Section, Step, StepKey, SyncReportRow
from onboarding.report import explain
from onboarding.report import queries as rq
from onboarding.report.csv_export import streaming_csv_response
from onboarding.views.actions import job_action
from tenants.access import staff_required

log = logging.getLogger(__name__)
PAGE_SIZE = 50
FILTER_KEYS = (*rq.REPORT_FILTERS, "search", "ordering")
BOOL_LABELS = (
    ("licensed", "Licensed"),
    ("enabled", "Enabled"),
    ("guest", "Guest"),
    ("excluded", "Excluded"),
)
ORDERING_CHOICES = (
    ("email", "Email"),
    ("-email", "Email (Z-A)"),
    ("display_name", "Name"),
    ("-display_name", "Name (Z-A)"),
    ("section", "Section"),
    ("kind", "Kind"),
)
BULK_ACTIONS = (("Exclude", "job-report-exclude"), ("Include", "job-report-include"))
CSV_FIELDS = (
    "email",
    "display_name",
    "section",
    "kind",
    "proofpoint_type",
    "licensed",
    "enabled",
    "guest",
    "excluded",
    "aliases",
    "import_state",
    "import_error",
)


def _filtered(job, params):
    """(rows, error): the filtered rows, or all rows and the filter's error message."""
    rows = SyncReportRow.objects.filter(job=job)
    try:
        return rq.filter_rows(rows, params), None
    except rq.ReportFilterError as error:
        return rows.order_by("email"), error


def _query(params, drop=("page",)) -> str:
    """The current filters as a query string (without `page`), for links and redirects."""
    kept = QueryDict(mutable=True)
    for key in FILTER_KEYS:
        if key not in drop and params.get(key):
            kept[key] = params[key]
    return kept.urlencode()


def approval_plan(job, counts: dict) -> dict:
    """What "Approve and sync" will do, in numbers, and the sentence that says it."""
    sections, excluded = counts["sections"], counts["excluded"]
    plan = {section: sections[section] - excluded[section] for section in Section.values}
    plan["excluded"] = sum(
        excluded[s] for s in (Section.ADDING, Section.UPDATING, Section.DELETING)
    )
    tenant = job.tenant
    n = explain.number
    parts = [f"add {n(plan['adding'])} account(s)", f"update {n(plan['updating'])}"]
    if tenant.allow_deletions:
        parts.append(f"delete {n(plan['deleting'])}")
    parts.append(f"exempt {n(plan['excluded'])} excluded account(s) from the sync")
    text = "Approve and sync will " + ", ".join(parts) + "."
    if not tenant.allow_deletions and plan["deleting"]:
        text += (
            f" Deletions are off for this tenant: {n(plan['deleting'])} account(s) no longer in "
            "Entra ID "
            "will be left alone."
        )
    if sections["exempt"]:
        text += f" {n(sections['exempt'])} account(s) already exempt from sync stay as they are."
    text += f" Then the Azure sync runs every {tenant.sync_frequency_hours} hour(s)."
    fit = getattr(job, "licence_fit", None)
    if fit and not fit["fits"]:
        text += (
            f" Warning: about {n(fit['after'])} billable users will not fit the org's "
            f"{n(fit['licences'])} "
            "licences."
        )
    plan["text"] = text
    return plan


LICENCE_CACHE_SECONDS = 300


def org_figures(job) -> dict | None:
    """The Proofpoint org's licence figures (GET /orgs/{domain}), kept a few minutes; None if
    unknown."""
    from django.core.cache import cache

    from integrations.errors import IntegrationError
    from onboarding.clients import proofpoint_client

    key = f"report-org-figures:{job.tenant_id}"
    cached = cache.get(key)
    if cached is not None:
        return cached or None
    try:
        org = proofpoint_client(job.tenant).get_org(job.tenant.primary_domain) or {}
    except (IntegrationError, ValueError, KeyError, OSError):
        return None  # not cached: the next page load asks again
    except Exception:  # noqa: BLE001  the licence figures are a hint: never a 500 for them
        log.exception(
            "Could not read the Proofpoint org of tenant %s for its licences", job.tenant_id
        )
        return None
    figures = {k: org.get(k) for k in ("user_licenses", "active_users")}
    cache.set(key, figures if org else {}, LICENCE_CACHE_SECONDS)
    return figures if org else None


def tabs_context(job, counts: dict, params) -> dict:
    """The tabs and summary line (full page, and out of band after an in-place exclusion)."""
    return {
        "section_tabs": explain.section_tabs(counts),
        "filter_query": _query(params, drop=("page", "section")),
        "params": params,
        "counts": counts,
        "summary_line": explain.summary_line(counts, job.tenant.allow_deletions),
    }


def _built_at(build_data: dict):
    text = build_data.get("built_at")
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


@staff_required
def report(request, pk: int):
    job = get_job_for_user(request.user, pk)
    rows, error = _filtered(job, request.GET)
    if error:
        messages.error(request, f"Filter ignored: {error.message}")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = rq.summary(job)
    steps = {
        s.key: s
        for s in Step.objects.filter(
            job=job, key__in=[StepKey.BUILD_REPORT, StepKey.REVIEW, StepKey.IMPORT_ACCOUNTS]
        )
    }
    review, build = steps.get(StepKey.REVIEW), steps.get(StepKey.BUILD_REPORT)
    imported = (
        StepKey.IMPORT_ACCOUNTS in steps and steps[StepKey.IMPORT_ACCOUNTS].state == "succeeded"
    )
    built_at = _built_at(build.data if build else {})
    editable = job.state == JobState.WAITING_REVIEW
    job.licence_fit = explain.licence_fit(job, org_figures(job)) if editable else None
    try:
        active = rq.active_filters(request.GET)
    except rq.ReportFilterError:
        active = {}
    return render(
        request,
        "onboarding/report.html",
        {
            "job": job,
            "tenant": job.tenant,
            "page": page,
            "counts": counts,
            "editable": editable,
            "plan": approval_plan(job, counts),
            "review": review,
            "built_at": built_at,
            "stale": bool(
                built_at
                and built_at < timezone.now() - timedelta(hours=settings.REPORT_STALE_HOURS)
            ),
            "query": _query(request.GET),
            "extra_query": _query(request.GET),
            "active": active,
            "matching": page.paginator.count,
            "sections": Section.choices,
            **tabs_context(job, counts, request.GET),
            "outcome": explain.outcome(job) if imported else None,
            "licences": job.licence_fit,
            "page_range": page.paginator.get_elided_page_range(
                page.number, on_each_side=2, on_ends=1
            ),
            "kinds": AccountKind.choices,
            "orderings": ORDERING_CHOICES,
            "bulk_actions": BULK_ACTIONS,
            "bool_filters": [
                (name, label, request.GET.get(name, "")) for name, label in BOOL_LABELS
            ],
        },
    )


@staff_required
def report_csv(request, pk: int):
    """Every matching row as CSV, streamed so a 100,000-row report never sits in memory."""
    job = get_job_for_user(request.user, pk)
    rows, _ = _filtered(job, request.GET)

    aliases = CSV_FIELDS.index("aliases")

    def values():
        for row in rows.values_list(*CSV_FIELDS).iterator(chunk_size=2000):
            cells = list(row)
            cells[aliases] = " ".join(cells[aliases] or [])
            yield cells

    filename = f"sync-report-{job.tenant.primary_domain}-{job.pk}.csv"
    return streaming_csv_response(filename, CSV_FIELDS, values())


def _change(request, pk: int, excluded: bool):
    job = get_job_for_user(request.user, pk)
    single = request.POST.get("row")
    back = reverse("job-report", args=[job.pk]) + "?" + request.POST.get("query", "")
    try:
        if single:
            changed = rq.set_excluded(job, excluded=excluded, ids=[single], request=request)
        elif request.POST.get("scope") == "all":
            changed = rq.set_excluded(job, excluded=excluded, filters=request.POST, request=request)
        else:
            ids = request.POST.getlist("ids")
            if not ids:
                messages.warning(request, "Tick at least one account first.")
                return redirect(back)
            changed = rq.set_excluded(job, excluded=excluded, ids=ids, request=request)
    except (NotAllowedNow, rq.ReportFilterError) as error:
        if request.htmx:
            return render(request, "onboarding/partials/report_error_row.html", {"error": error})
        messages.error(request, str(error))
        return redirect(back)
    if request.htmx and single:
        return _row_and_fresh_plan(request, job, single)
    verb = "Excluded" if excluded else "Included"
    messages.success(request, f"{verb} {changed} account(s).")
    return redirect(back)


def _row_and_fresh_plan(request, job, row_id):
    """The toggled row, plus the approval card out of band: its confirmation must state today's
    counts."""
    row = SyncReportRow.objects.filter(job=job, pk=row_id).first()
    counts = rq.summary(job)
    job.licence_fit = explain.licence_fit(job, org_figures(job))
    page_params = QueryDict(request.POST.get("query", ""))
    context = {
        "row": row,
        "job": job,
        "tenant": job.tenant,
        "editable": True,
        "plan": approval_plan(job, counts),
        "licences": job.licence_fit,
        "oob": True,
        **tabs_context(job, counts, page_params),
    }
    html = render_to_string("onboarding/partials/report_row.html", context, request)
    # In a <template>: beside a <tr>, htmx only finds out-of-band elements wrapped like this (htmx 2
    # docs).
    approve = render_to_string("onboarding/partials/report_approve.html", context, request)
    tabs = render_to_string("onboarding/partials/report_tabs.html", context, request)
    return HttpResponse(f"{html}<template>{approve}{tabs}</template>")


@staff_required
@require_POST
def report_exclude(request, pk: int):
    return _change(request, pk, excluded=True)


@staff_required
@require_POST
def report_include(request, pk: int):
    return _change(request, pk, excluded=False)


@staff_required
@require_POST
def report_approve(request, pk: int):
    job = get_job_for_user(request.user, pk)
    return job_action(
        request,
        job,
        lambda: rq.approve(job, request=request),
        "Approved: the import into Proofpoint has started.",
        refused_to=reverse("job-report", args=[job.pk]),
    )


@staff_required
@require_POST
def report_rebuild(request, pk: int):
    job = get_job_for_user(request.user, pk)
    return job_action(
        request,
        job,
        lambda: rq.rebuild_report(job, request.user, request=request),
        "The report is being built again from the directory.",
        refused_to=reverse("job-report", args=[job.pk]),
    )
