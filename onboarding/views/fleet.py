"""The whole fleet's pages (issue 14): import from Proofpoint, import a CSV, bulk start and its
batch page, and the fleet view. onboarding.fleet does the work; these read forms and render."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from onboarding.access import tenants_for
from onboarding.engine.dispatch import enqueue
from onboarding.fleet import bulk, csv_import, discovery, overview
from onboarding.models import OnboardingBatch, TenantImport
from onboarding.report.csv_export import csv_response
from tenants.access import staff_required
from tenants.models import HealthState, Lifecycle
from tenants.roles import is_manager

MAX_BULK = 500
PAGE_SIZE = 50
BRING_IN_INLINE = 20  # more than this are brought in by a worker


# --- import from Proofpoint ----------------------------------------------------------------------
@staff_required
def discover(request):
    """GET lists the partner's child orgs; POST brings in the ticked ones."""
    if request.method == "POST":
        domains = request.POST.getlist("domain")[:MAX_BULK]
        if not domains:
            messages.error(request, "Tick at least one organisation to bring in.")
            return redirect("fleet-discover")
        if len(domains) > BRING_IN_INLINE:
            enqueue("onboarding.fleet_bring_in", [domains, request.user.pk])
            messages.success(
                request,
                f"Bringing in {len(domains)} organisations in the background: "
                "they appear in the fleet as each is made.",
            )
            return redirect("fleet")
        try:
            results = discovery.bring_in(domains, actor=request.user, request=request)
        except discovery.DiscoveryError as error:
            return render(request, "fleet/discover.html", {"error": error.message})
        return render(
            request,
            "fleet/discover_result.html",
            {
                "results": results,
                "created_ids": [r.tenant_id for r in results if r.outcome == "created"],
            },
        )
    try:
        orgs = list(discovery.discover())
    except discovery.DiscoveryError as error:
        return render(request, "fleet/discover.html", {"error": error.message})
    return render(
        request,
        "fleet/discover.html",
        {
            "orgs": orgs,
            "new_count": sum(1 for o in orgs if not o.tenant_id),
        },
    )


# --- CSV import ----------------------------------------------------------------------------------
@staff_required
def csv_upload(request):
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            return render(
                request,
                "fleet/csv_upload.html",
                {"error": "Choose a CSV file to upload."},
                status=400,
            )
        if upload.size > csv_import.MAX_BYTES:
            return render(
                request,
                "fleet/csv_upload.html",
                {
                    "error": f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is 10 MB. "
                    "Split it into smaller files."
                },
                status=400,
            )
        content = upload.read(csv_import.MAX_BYTES + 1)
        try:
            csv_import.check(content)
        except csv_import.CsvFileError as error:
            return render(request, "fleet/csv_upload.html", {"error": error.message}, status=400)
        stored = TenantImport.objects.create(
            filename=upload.name[:200], content=content, created_by=request.user
        )
        return redirect("fleet-csv-check", pk=stored.pk)
    return render(request, "fleet/csv_upload.html", {"columns": csv_import.HEADER_WORDS.values()})


@staff_required
def csv_check(request, pk: int):
    """The dry run of an upload; POST imports (all, or only the valid rows)."""
    stored = get_object_or_404(TenantImport, pk=pk, created_by=request.user)
    content = bytes(stored.content)
    if request.method == "POST" and stored.imported_at is None:
        only_valid = request.POST.get("only_valid") == "1"
        try:
            created = csv_import.save(
                content, actor=request.user, request=request, only_valid=only_valid
            )
        except csv_import.CsvFileError as error:
            messages.error(request, error.message)
            return redirect("fleet-csv-check", pk=pk)
        stored.imported_at = timezone.now()
        stored.save(update_fields=["imported_at"])
        return render(request, "fleet/csv_done.html", {"created": created})
    result = csv_import.check(content)
    return render(
        request,
        "fleet/csv_check.html",
        {
            "stored": stored,
            "result": result,
            "counts": {
                k: result.count(k)
                for k in (csv_import.NEW, csv_import.EXISTING, csv_import.INVALID)
            },
        },
    )


# --- bulk start and batches ----------------------------------------------------------------------
@staff_required
@require_POST
def bulk_start(request):
    if request.POST.get("matching") is not None:  # every tenant the fleet filter shows
        params = QueryDict(request.POST.get("matching", ""))
        try:
            rows = overview.filter_fleet(overview.fleet(tenants_for(request.user)), params)
        except overview.FleetFilterError as error:
            messages.error(request, error.message)
            return redirect("fleet")
        tenants = list(rows[:MAX_BULK])
    else:
        ids = [int(v) for v in request.POST.getlist("tenant") if v.isdigit()][:MAX_BULK]
        tenants = list(tenants_for(request.user).filter(pk__in=ids).order_by("name"))
    if not tenants:
        messages.error(request, "Tick at least one tenant to onboard.")
        back = request.POST.get("back", "")
        safe = url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure())
        return redirect(back if back and safe else "fleet")
    batch = bulk.start_batch(
        tenants, actor=request.user, request=request, name=request.POST.get("name", "")[:200]
    )
    return redirect("fleet-batch", pk=batch.pk)


@staff_required
def batch_detail(request, pk: int):
    batch = get_object_or_404(OnboardingBatch, pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "resend":
            sent = bulk.resend_unanswered(batch, request.user, request)
            messages.success(request, f"Sent {sent} new consent link(s).")
        elif action == "cancel":
            cancelled = bulk.cancel_not_started(batch, request.user, request)
            messages.success(request, f"Cancelled {cancelled} onboarding(s) that had not started.")
        return redirect("fleet-batch", pk=pk)
    return render(
        request,
        "fleet/batch.html",
        {
            "batch": batch,
            "progress": bulk.progress(batch),
            "groups": bulk.GROUPS,
        },
    )


# --- the fleet view ------------------------------------------------------------------------------
@staff_required
def fleet(request):
    rows = overview.fleet(tenants_for(request.user))
    try:
        rows = overview.filter_fleet(rows, request.GET)
    except overview.FleetFilterError as error:
        messages.error(
            request, f"{overview.FILTER_WORDS.get(error.field, error.field)}: {error.message}"
        )
        rows = overview.filter_fleet(overview.fleet(tenants_for(request.user)), {})
    if request.GET.get("export") == "tenants":  # the CSV import's columns, to edit and import again
        return csv_response(
            f"tenants-{timezone.now():%Y%m%d-%H%M}.csv",
            csv_import.export_header(),
            csv_import.export_rows(rows.iterator()),
        )
    if request.GET.get("export") == "csv":
        return csv_response(
            f"fleet-{timezone.now():%Y%m%d-%H%M}.csv",
            overview.csv_header(),
            (overview.csv_row(t) for t in rows.iterator()),
        )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "fleet/fleet.html",
        {
            "page": page,
            "params": request.GET,
            "extra_query": query.urlencode(),
            "can_act": is_manager(request.user),
            "now": timezone.now(),
            "lifecycles": Lifecycle.choices,
            "healths": HealthState.choices,
            "sorts": list(overview.SORTS),
            "batches": OnboardingBatch.objects.all()[:5],
        },
    )
