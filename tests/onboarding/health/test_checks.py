"""Health checks against the sandbox over HTTPS: a clean live tenant is healthy and the check only
reads; each finding code is raised by breaking the tenant the way a customer would, in words."""

import pytest

from onboarding.health import codes, service
from onboarding.models import AuditEvent, HealthCheck, TenantFinding
from tenants.models import HealthState

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
DOMAIN = "fabrikam.example"


def open_codes(tenant) -> set[str]:
    return set(
        TenantFinding.objects.filter(tenant=tenant, closed_at__isnull=True).values_list(
            "code", flat=True
        )
    )


def test_a_clean_live_tenant_is_healthy_and_its_check_makes_no_write(live, portal_sandbox):
    tenant = live()
    assert tenant.health_state == HealthState.UNKNOWN
    portal_sandbox.clear_requests()

    assert service.run_check(tenant) == ("unknown", "ok")

    tenant.refresh_from_db()
    assert tenant.health_state == HealthState.OK and tenant.health_checked_at is not None
    assert open_codes(tenant) == set()
    log = portal_sandbox.requests()
    writes = portal_sandbox.writes()
    assert writes == [], writes
    check = HealthCheck.objects.get(tenant=tenant)
    # The documented minimum: 3 Proofpoint reads, 4 Graph reads (plus a token when none is cached).
    assert check.requests == 7
    non_token = [e for e in log["recent"] if "/token" not in e["path"]]
    assert len(non_token) == 7, [e["path"] for e in non_token]
    assert check.unchecked == []
    assert AuditEvent.objects.filter(tenant=tenant, action="tenant.health_changed").count() == 1


def stale(admin, tenant):
    admin.knobs(proofpoint_sync_runs=False)
    return admin.set_last_successful_sync(DOMAIN, hours_ago=2 * tenant.sync_frequency_hours + 3)


def short_of_licences(admin, tenant):
    from onboarding.clients import proofpoint_client

    client = proofpoint_client(tenant)
    if client.get_org(DOMAIN)["active_users"] < 2:
        client.create_users(
            DOMAIN,
            [
                {
                    "primary_email": f"user{n}@{DOMAIN}",
                    "firstname": "U",
                    "surname": str(n),
                    "type": "end_user",
                    "send_welcome_email": False,
                }
                for n in range(2)
            ],
        )
    return admin.set_licences(DOMAIN, 1)


def clock_ahead(admin, tenant):
    """The tenant's clock runs 800 days ahead: Entra refuses the secret as expired (AADSTS7000222);
    the sync app's cached token has aged out by then too."""
    from tests.sandbox_fixtures import forget_cached_tokens

    forget_cached_tokens()
    return admin.clock_offset(DOMAIN, 800 * 86400)


BREAKS = {
    "domain_missing": lambda admin, t: admin.add_domain(DOMAIN, "sales.fabrikam.example"),
    "app_missing": lambda admin, t: admin.delete_sync_app(DOMAIN),
    "app_missing (service principal)": lambda admin, t: admin.delete_sync_service_principal(DOMAIN),
    "permissions_missing (grant)": lambda admin, t: admin.remove_grant(DOMAIN),
    "permissions_missing (narrowed)": lambda admin, t: admin.narrow_grant(DOMAIN),
    "permissions_missing (role)": lambda admin, t: admin.remove_role_assignment(DOMAIN),
    "msp_access_lost": lambda admin, t: admin.revoke_consent(DOMAIN),
    "sync_paused": lambda admin, t: admin.set_sync_frequency(DOMAIN, 0),
    "sync_paused (deleted)": lambda admin, t: admin.delete_sync_settings(DOMAIN),
    "sync_app_mismatch": lambda admin, t: admin.set_sync_app_id(DOMAIN),
    "secret_expired": lambda admin, t: admin.expire_secret(DOMAIN, days_ago=1),
    "secret_expiring": lambda admin, t: admin.secret_expiring(DOMAIN, days=7),
    "secret_expired (clock offset)": clock_ahead,
    "sync_stale": stale,
    "licences_short": short_of_licences,
}


@pytest.mark.parametrize("case", list(BREAKS))
def test_each_break_raises_its_finding_in_words(live, portal_sandbox, case):
    code = case.split(" ")[0]
    tenant = live()
    assert service.run_check(tenant)[1] == "ok"
    BREAKS[case](portal_sandbox, tenant)
    portal_sandbox.clear_requests()

    previous, state = service.run_check(tenant)

    assert portal_sandbox.writes() == []  # a check only reads, whatever it finds
    assert code in open_codes(tenant)
    finding = TenantFinding.objects.get(tenant=tenant, code=code, closed_at__isnull=True)
    spec = codes.CODES[code]
    assert (finding.severity, finding.fixable) == (spec.severity, spec.fixable)
    assert state == codes.worst(
        f.severity for f in TenantFinding.objects.filter(tenant=tenant, closed_at__isnull=True)
    )
    assert (
        (previous, state) == ("ok", spec.severity)
        or spec.severity == "warning"
        and state == "critical"
    )
    # Words for a technician: no finding code, no "None", a full sentence.
    for text in (finding.message,):
        assert not any(c in text for c in codes.CODES), text
        assert "None" not in text and text.endswith(".") and len(text) > 40, text


def test_a_finding_keeps_first_seen_at_while_it_persists_and_closes_when_gone(live, portal_sandbox):
    tenant = live()
    portal_sandbox.set_sync_frequency(DOMAIN, 0)
    service.run_check(tenant)
    first = TenantFinding.objects.get(tenant=tenant, code="sync_paused")
    service.run_check(tenant)
    again = TenantFinding.objects.get(tenant=tenant, code="sync_paused")
    assert (
        again.pk == first.pk
        and again.first_seen_at == first.first_seen_at
        and again.closed_at is None
    )

    portal_sandbox.set_sync_frequency(DOMAIN, 3)
    assert service.run_check(tenant) == ("critical", "ok")
    first.refresh_from_db()
    assert first.closed_at is not None
    tenant.refresh_from_db()
    assert tenant.health_state == HealthState.OK
    changes = AuditEvent.objects.filter(tenant=tenant, action="tenant.health_changed").order_by(
        "pk"
    )
    assert [e.description.split(" changed ")[1] for e in changes] == [
        "from not checked to critical (Proofpoint sync paused)",
        "from critical to healthy (no findings)",
    ]


def test_mx_is_checked_once_routing_is_ready_and_clears_when_it_points_to_proofpoint(
    live, portal_sandbox
):
    tenant = live(routing_ready=True)
    service.run_check(tenant)
    finding = TenantFinding.objects.get(tenant=tenant, code="mx_not_routed", closed_at__isnull=True)
    assert "mail.protection.outlook.com" in finding.message and finding.severity == "warning"
    tenant.refresh_from_db()
    assert tenant.health_state == HealthState.WARNING

    for domain in TenantFinding.objects.get(pk=finding.pk).details["domains"]:
        portal_sandbox.route_mx(domain, stack=tenant.proofpoint_stack)
    assert service.run_check(tenant) == ("warning", "ok")
    assert open_codes(tenant) == set()


def test_mx_is_not_checked_before_routing_is_ready(live, portal_sandbox):
    tenant = live(routing_ready=False)
    portal_sandbox.clear_requests()
    service.run_check(tenant)
    assert open_codes(tenant) == set()


def test_a_dns_timeout_raises_no_finding_and_says_what_could_not_be_checked(
    live, portal_sandbox, settings
):
    settings.DNS_TIMEOUT_SECONDS = 1
    tenant = live(routing_ready=True)
    portal_sandbox.dns_fail(DOMAIN, "timeout")
    portal_sandbox.route_mx(DOMAIN, stack=tenant.proofpoint_stack)
    service.run_check(tenant)
    check = HealthCheck.objects.get(tenant=tenant)
    assert any("timed out" in line and DOMAIN in line for line in check.unchecked), check.unchecked
    details = TenantFinding.objects.filter(tenant=tenant, code="mx_not_routed").values_list(
        "details", flat=True
    )
    assert all(DOMAIN not in d["domains"] for d in details)


def test_an_nxdomain_raises_no_finding(live, portal_sandbox):
    tenant = live(routing_ready=True)
    portal_sandbox.dns_fail(DOMAIN, "nxdomain")
    service.run_check(tenant)
    check = HealthCheck.objects.get(tenant=tenant)
    assert any("NXDOMAIN" in line for line in check.unchecked), check.unchecked


def test_a_stale_sync_names_its_likely_cause(live, portal_sandbox):
    tenant = live()
    stale(portal_sandbox, tenant)
    portal_sandbox.add_domain(DOMAIN, "sales.fabrikam.example")
    service.run_check(tenant)
    finding = TenantFinding.objects.get(tenant=tenant, code="sync_stale", closed_at__isnull=True)
    assert "Likely cause: a Microsoft 365 domain is missing" in finding.message


@pytest.mark.parametrize(
    "value",
    [
        "2026-05-01T12:00:00Z",
        "2026-05-01T12:00:00+00:00",
        "2026-05-01 12:00:00",
        1777636800,
        1777636800000,
        "2026-05-01",
    ],
)
def test_proofpoint_timestamps_are_parsed_whatever_their_format(value):
    from onboarding.health.checks import parse_moment

    moment = parse_moment(value)
    assert moment is not None and (moment.year, moment.month, moment.day) == (2026, 5, 1)
    assert parse_moment("yesterday") is None and parse_moment(None) is None


def test_a_finding_stays_open_while_its_facts_cannot_be_read(live, portal_sandbox, settings):
    tenant = live()
    portal_sandbox.set_sync_frequency(DOMAIN, 0)
    service.run_check(tenant)
    first = TenantFinding.objects.get(tenant=tenant, code="sync_paused", closed_at__isnull=True)
    settings.PROOFPOINT_API_PASSWORD = "not-the-password"  # Proofpoint answers 401 to every read

    assert service.run_check(tenant) == ("critical", "critical")

    again = TenantFinding.objects.get(tenant=tenant, code="sync_paused", closed_at__isnull=True)
    assert again.pk == first.pk and again.first_seen_at == first.first_seen_at
    check = HealthCheck.objects.get(tenant=tenant)
    assert any(
        line.startswith("Proofpoint's Azure sync settings could not be read")
        for line in check.unchecked
    ), check.unchecked
    assert AuditEvent.objects.filter(tenant=tenant, action="tenant.health_changed").count() == 1


def test_a_check_holds_a_slot_of_the_in_flight_bounds_and_waits_its_turn_at_them(
    live, portal_sandbox, settings, dispatched
):
    """The check every job's end sends reads Proofpoint and Graph: at the partner bound it must
    wait like a step (issue 14), or 100 bulk completions add their checks on top of the bound."""
    from datetime import timedelta

    from django.utils import timezone

    from onboarding.engine import throttle
    from onboarding.models import Step, StepState

    settings.MAX_JOBS_IN_FLIGHT_PER_PARTNER = 1
    tenant = live()
    job = tenant.jobs.get()
    busy = Step.objects.filter(job=job, key="prepare_org")  # a Proofpoint step running now
    busy.update(state=StepState.RUNNING, lease_expires_at=timezone.now() + timedelta(minutes=5))
    portal_sandbox.clear_requests()
    dispatched.clear()

    assert service.run_check(tenant) is None  # not run: the partner is at its bound
    assert portal_sandbox.requests()["recent"] == []  # not one call to Proofpoint or Graph
    assert dispatched == [(tenant.pk, settings.IN_FLIGHT_DEFER_SECONDS)]  # sent again, later
    assert not HealthCheck.objects.filter(tenant=tenant, checked_at__isnull=False).exists()

    busy.update(lease_expires_at=timezone.now())  # the step's slot is free again
    assert service.run_check(tenant) == ("unknown", "ok")
    assert HealthCheck.objects.get(tenant=tenant).running_until is None  # its slot given back

    # And while a check runs, it holds its slot: a Proofpoint step of any job waits for it.
    HealthCheck.objects.filter(tenant=tenant).update(
        running_until=timezone.now() + timedelta(minutes=1)
    )
    claimed: list[int] = []
    step = Step.objects.get(job=job, key="prepare_org")
    assert not throttle.claim_within_bounds(job, step, lambda s: claimed.append(s.pk) or True)
    assert claimed == []
