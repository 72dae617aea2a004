"""A clean onboarding, all twelve steps for real against the sandbox, ends live and healthy: the
check
sent at the job's end finds nothing but mx_not_routed (the MX records still point to Microsoft), and
`ok` with no findings once they point to Proofpoint."""

import pytest

from onboarding import engine
from onboarding.health import service
from onboarding.models import JobState, TenantFinding
from onboarding.report import queries
from tenants.models import HealthState, Lifecycle
from tests.onboarding.health.conftest import run_to_end
from tests.onboarding.proofpoint_fixtures import make_tenant

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
DOMAIN = "fabrikam.example"


def test_a_clean_onboarding_ends_live_with_only_the_mx_warning_then_ok(
    portal_sandbox, technician, dispatched, settings
):
    settings.ENTRA_REPLICATION_SECONDS = 5
    settings.ENTRA_SECRET_PROPAGATION_SECONDS = 20
    settings.ROUTING_WAIT_SECONDS = 0
    tenant = make_tenant(DOMAIN, technician, sync_frequency_hours=3)

    job = run_to_end(engine.start_job(tenant, technician))
    if job.state == JobState.WAITING_CUSTOMER:  # the customer's Global Administrator approves
        portal_sandbox.consent(DOMAIN)
        engine.resume(job)
        job = run_to_end(job)
    assert job.state == JobState.WAITING_REVIEW, [
        (s.key, s.state, s.message) for s in job.steps.all()
    ]
    queries.approve(job, actor=technician)
    dispatched.clear()
    job = run_to_end(job)

    assert job.state == JobState.COMPLETED, [(s.key, s.state, s.message) for s in job.steps.all()]
    tenant.refresh_from_db()
    assert tenant.lifecycle == Lifecycle.LIVE
    assert (tenant.pk, 0) in dispatched  # the job's end sent a health check
    service.run_check(tenant)
    tenant.refresh_from_db()
    findings = TenantFinding.objects.filter(tenant=tenant, closed_at__isnull=True)
    assert [f.code for f in findings] == ["mx_not_routed"]
    assert tenant.health_state == HealthState.WARNING

    for domain in findings[0].details["domains"]:
        portal_sandbox.route_mx(domain, stack=tenant.proofpoint_stack)
    service.run_check(tenant)
    tenant.refresh_from_db()
    assert tenant.health_state == HealthState.OK
    assert not TenantFinding.objects.filter(tenant=tenant, closed_at__isnull=True).exists()
