"""The manager dashboard: every client with its latest onboarding, what needs attention, how long
onboardings take, filters and a CSV export, in a fixed number of queries however many tenants."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone

from onboarding import tracking
from onboarding.access import tenants_for
from onboarding.attention import needs_attention
from onboarding.models import FINISHED_JOB_STATES, JobState
from onboarding.pipeline import step_titles
from onboarding.report.csv_export import csv_response
from tenants.access import manager_required
from tenants.models import HealthState, Lifecycle
from tenants.roles import MANAGERS, TECHNICIANS

PAGE_SIZE = 50


class DashboardFilter(forms.Form):
    lifecycle = forms.ChoiceField(
        required=False, choices=[("", "Any lifecycle"), *Lifecycle.choices]
    )
    health = forms.ChoiceField(required=False, choices=[("", "Any health"), *HealthState.choices])
    state = forms.ChoiceField(
        required=False,
        label="Latest job",
        choices=[("", "Any job state"), ("none", "No job yet"), *JobState.choices],
    )
    technician = forms.ModelChoiceField(required=False, queryset=None, empty_label="Anyone")
    failed = forms.BooleanField(required=False, label="Failed only")
    stuck_hours = forms.IntegerField(
        required=False, min_value=1, max_value=24 * 365, label="Stuck longer than (hours)"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        staff = get_user_model().objects.filter(
            Q(groups__name__in=[TECHNICIANS, MANAGERS]) | Q(is_superuser=True)
        )
        self.fields["technician"].queryset = staff.distinct().order_by("username")


def overview(request, form):
    tenants = tracking.tenants_with_latest_job(tenants_for(request.user))
    if form.is_valid():
        data = form.cleaned_data
        tenants = tracking.filter_overview(
            tenants,
            state=data["state"],
            technician=data["technician"].pk if data["technician"] else None,
            failed=data["failed"],
            stuck_hours=data["stuck_hours"],
            lifecycle=data["lifecycle"],
            health=data["health"],
        )
    return tenants.order_by("name", "pk")


def decorate(tenants, titles, now):
    for tenant in tenants:
        active = tenant.job_state and tenant.job_state not in FINISHED_JOB_STATES
        tenant.step_title = titles.get(tenant.job_step, "") if active and tenant.job_step else ""
        tenant.seconds_in_step = (
            (now - tenant.step_since).total_seconds() if active and tenant.step_since else None
        )
        yield tenant


@manager_required
def dashboard(request):
    form = DashboardFilter(request.GET or None)
    tenants = overview(request, form)
    if request.GET.get("export") == "csv":
        return export_csv(tenants)
    page = Paginator(tenants, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(decorate(page.object_list, step_titles(), timezone.now()))
    query = request.GET.copy()
    query.pop("page", None)
    from onboarding.charts import dashboard_charts

    context = {
        "charts": dashboard_charts(),
        "form": form,
        "page": page,
        "extra_query": query.urlencode(),
        "tenant_counts": tracking.tenant_counts(tenants_for(request.user)),
        "state_labels": dict(JobState.choices),
        "lifecycle_labels": dict(Lifecycle.choices),
        "health_labels": dict(HealthState.choices),
        "attention": needs_attention(),
        "times": tracking.completion_times(),
        "now": timezone.now(),
    }
    return render(request, "dashboard/dashboard.html", context)


def export_csv(tenants):
    header = [
        "tenant",
        "primary domain",
        "lifecycle",
        "live since",
        "health",
        "health checked at",
        "latest job state",
        "current step",
        "seconds in step",
        "started by",
        "started at",
        "routing ready at",
        "finished at",
    ]
    rows = (
        [
            t.name,
            t.primary_domain,
            t.lifecycle,
            _iso(t.live_since),
            t.health_state,
            _iso(t.health_checked_at),
            t.job_state or "none",
            t.step_title,
            int(t.seconds_in_step) if t.seconds_in_step is not None else "",
            t.job_started_by or "",
            _iso(t.job_created_at),
            _iso(t.job_routing_ready_at),
            _iso(t.job_finished_at),
        ]
        for t in decorate(tenants.iterator(), step_titles(), timezone.now())
    )
    return csv_response(f"onboardings-{timezone.now():%Y%m%d-%H%M}.csv", header, rows)


def _iso(value) -> str:
    return value.isoformat() if value else ""
