"""The daily task: it rotates only secrets expiring within SECRET_ROTATE_DAYS of completed
onboardings;
a failure is recorded, shown on the dashboard and mailed to managers, and the others go on."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from onboarding import tasks
from onboarding.models import JobState, OnboardingJob
from tenants.models import EntraApplication, Tenant
from tests.onboarding.onboarded_fixtures import sandbox_app

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def expire_in(tenant, days: float) -> None:
    EntraApplication.objects.filter(tenant=tenant).update(
        secret_expires_at=timezone.now() + timedelta(days=days)
    )


def key_of(tenant) -> str:
    return EntraApplication.objects.get(tenant=tenant).secret_key_id


def test_the_daily_task_rotates_only_what_expires_soon(onboarded, portal_sandbox, settings):
    settings.SECRET_ROTATE_DAYS = 30
    soon, later = (
        onboarded("fabrikam.example"),
        onboarded("northwind.example", create_proofpoint_org=True),
    )
    expire_in(soon, 29)
    expire_in(later, 31)
    keys = {t.pk: key_of(t) for t in (soon, later)}

    assert tasks.rotate_expiring_secrets() == {"rotated": 1, "failed": 0}

    assert key_of(soon) != keys[soon.pk] and key_of(later) == keys[later.pk]
    assert [c["keyId"] for c in sandbox_app(portal_sandbox, soon)["passwordCredentials"]] == [
        key_of(soon)
    ]
    assert len(sandbox_app(portal_sandbox, later)["passwordCredentials"]) == 1
    # Rotated once: the new secret is two years away. A tenant whose latest onboarding did not
    # complete waits.
    expire_in(later, 5)
    OnboardingJob.objects.filter(tenant=later).update(state=JobState.FAILED)
    assert tasks.rotate_expiring_secrets() == {"rotated": 0, "failed": 0}
    assert key_of(later) == keys[later.pk]


def test_one_tenants_failure_is_recorded_mailed_and_does_not_stop_the_others(
    onboarded, portal_sandbox, manager, manager_client
):
    failing, fine = (
        onboarded("fabrikam.example"),
        onboarded("northwind.example", create_proofpoint_org=True),
    )
    expire_in(failing, 3)  # first in the loop
    expire_in(fine, 10)
    fine_key = key_of(fine)
    portal_sandbox.knobs(tenants={"fabrikam.example": {"secrets_forbidden": True}})
    mail.outbox.clear()

    assert tasks.rotate_expiring_secrets() == {"rotated": 1, "failed": 1}

    assert key_of(fine) != fine_key
    app = EntraApplication.objects.get(tenant=failing)
    assert app.rotation_failed_at and "policy" in app.rotation_error.lower()
    assert (
        len(sandbox_app(portal_sandbox, failing)["passwordCredentials"]) == 1
    )  # the old one, still in use
    sent = [m for m in mail.outbox if manager.email in m.to]
    assert len(sent) == 1 and "Fabrikam" in sent[0].body and "Northwind" not in sent[0].body
    assert f"/tenants/{failing.pk}/" in sent[0].body

    page = manager_client.get("/dashboard/").content.decode()
    assert "Client secret rotation failed" in page and f"/tenants/{failing.pk}/" in page


def test_the_dashboard_lists_expiring_secrets_and_failed_rotations_in_constant_queries(
    manager_client, settings, django_assert_max_num_queries, db
):
    settings.SECRET_ROTATE_DAYS = 30
    now = timezone.now()
    for n in range(60):
        tenant = Tenant.objects.create(
            name=f"Client {n:03d}",
            primary_domain=f"client{n:03d}.example",
            customer_admin_email=f"it@client{n:03d}.example",
        )
        EntraApplication.objects.create(
            tenant=tenant,
            unique_name=f"u{n}",
            secret=f"s3cret-value-{n:03d}",
            secret_key_id=f"key-{n}",
            secret_expires_at=now + timedelta(days=10 if n % 3 == 0 else 400),
            rotation_failed_at=now if n % 5 == 0 else None,
            rotation_error="Graph said no" if n % 5 == 0 else "",
        )
    # The dashboard's bound (tests/onboarding/views/test_dashboard.py checks it stays constant).
    with django_assert_max_num_queries(20):
        page = manager_client.get("/dashboard/").content.decode()
    assert (
        "Client secrets expiring soon, not rotated yet" in page
        and "Client secret rotation failed" in page
    )
    assert "Client 003" in page and "Graph said no" in page
    assert "Client 001</a> — expires" not in page  # two years away
    assert "s3cret-value" not in page
