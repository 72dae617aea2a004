"""The tenant list (each tenant's lifecycle and health first, its latest job as history) and the
tenant page."""

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Q, Subquery
from django.shortcuts import render

from onboarding import tenant_view
from onboarding.access import get_tenant_for_user, tenants_for
from onboarding.models import FINISHED_JOB_STATES, Step, StepState
from onboarding.pipeline import StepKey, step_titles
from onboarding.secrets import rotation
from onboarding.tracking import latest_job_of
from onboarding.views.health import health_view
from tenants.access import staff_required
from tenants.models import HealthState, Lifecycle


def with_latest_job(tenants):
    latest = latest_job_of()
    return tenants.annotate(
        job_state=Subquery(latest.values("state")[:1]),
        job_id=Subquery(latest.values("pk")[:1]),
        job_step=Subquery(latest.values("current_step")[:1]),
    )


def _choice(request, name: str, choices, problems: list) -> str:
    """A filter value from the query string; an unknown one is ignored and said, never a 500."""
    value = request.GET.get(name, "").strip()
    if value and value not in dict(choices):
        labels = ", ".join(label for _, label in choices)
        problems.append(f"Unknown {name} “{value[:40]}”: choose one of {labels}.")
        return ""
    return value


@staff_required
def tenant_list(request):
    query = request.GET.get("q", "").strip()
    problems: list[str] = []
    lifecycle = _choice(request, "lifecycle", Lifecycle.choices, problems)
    health = _choice(request, "health", HealthState.choices, problems)
    tenants = with_latest_job(tenants_for(request.user))
    if query:
        tenants = tenants.filter(
            Q(name__icontains=query)
            | Q(primary_domain__icontains=query)
            | Q(customer_admin_email__icontains=query)
        )
    if lifecycle:
        tenants = tenants.filter(lifecycle=lifecycle)
    if health:
        tenants = tenants.filter(health_state=health)
    page = Paginator(tenants.order_by("name"), 50).get_page(request.GET.get("page"))
    titles = step_titles()
    for tenant in page:  # the step's title, never its key
        tenant.step_title = titles.get(tenant.job_step, "") if tenant.job_step else ""
    extra = request.GET.copy()
    for name in ("q", "page"):
        extra.pop(name, None)
    context = {
        "page": page,
        "query": query,
        "lifecycle": lifecycle,
        "health": health,
        "problems": problems,
        "lifecycles": Lifecycle.choices,
        "healths": HealthState.choices,
        "extra_query": extra.urlencode(),
    }
    return render(request, "onboarding/tenant_list.html", context)


def domains_of(tenant) -> list[tuple[str, str]]:
    """Every domain of the tenant with where it comes from: the primary, those added on the form,
    and those the latest onboarding found in Entra ID (prepare_org put them in the Proofpoint
    org)."""
    found = (
        Step.objects.filter(job__tenant=tenant, key=StepKey.PREPARE_ORG, state=StepState.SUCCEEDED)
        .order_by("-job__created_at")
        .values_list("data", flat=True)
        .first()
    ) or {}
    rows = [(tenant.primary_domain, "primary")]
    rows += [
        (domain, "added on the form")
        for domain in tenant.domains
        if domain != tenant.primary_domain
    ]
    known = {domain for domain, _ in rows}
    rows += [
        (domain, "found in Entra ID") for domain in found.get("domains", []) if domain not in known
    ]
    return rows


@staff_required
def tenant_detail(request, pk: int):
    tenant = get_tenant_for_user(request.user, pk)
    jobs = tenant.jobs.select_related("started_by").order_by("-created_at")
    active = jobs.exclude(state__in=FINISHED_JOB_STATES).first()
    app = getattr(tenant, "entra_app", None) if hasattr(tenant, "entra_app") else None
    context = {
        "tenant": tenant,
        "jobs": jobs[:20],
        "active_job": active,
        "app": app,
        "domains": domains_of(tenant),
        "secret_expires_soon": rotation.expires_soon(app),
        "rotate_days": settings.SECRET_ROTATE_DAYS,
        "health": health_view(tenant),
        "rerun_promise": tenant_view.rerun_promise(tenant),
        "failed_restores": list(tenant_view.failed_restores(tenant)[:5]),
        "restoring": tenant_view.restoring(tenant),
    }
    return render(request, "onboarding/tenant_detail.html", context)
