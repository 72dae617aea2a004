"""The engine asks for a restore only when the job changed settings, once per cancel or failure, and
the
sweeper re-sends a restore whose message was lost."""

from datetime import timedelta

import pytest
from django.utils import timezone

from onboarding import engine
from onboarding.engine import undo
from onboarding.models import OnboardingJob, RestoreState, SettingsSnapshot
from tests.onboarding.lifecycle.conftest import RESTORE_TASK, restores_asked

pytestmark = pytest.mark.django_db
PIPELINES = "tests.onboarding.lifecycle.pipelines."


def started(tenant, technician, settings, pipeline="WAITS") -> OnboardingJob:
    settings.ONBOARDING_PIPELINE = PIPELINES + pipeline
    job = engine.start_job(tenant, technician)
    engine.run_job(job.pk)
    job.refresh_from_db()
    return job


def test_a_job_that_changed_no_setting_asks_for_no_restore(tenant_a, technician, settings, sent):
    job = started(tenant_a, technician, settings)
    engine.cancel(job, technician)
    assert restores_asked(sent) == []
    failed = started(tenant_a, technician, settings, "FAILS")
    assert failed.state == "failed" and restores_asked(sent) == []


def test_cancel_and_failure_ask_for_a_restore_of_what_the_job_changed(
    tenant_a, technician, settings, sent
):
    job = started(tenant_a, technician, settings)
    SettingsSnapshot.objects.create(job=job, existed=True, settings={"sync_frequency": 3})
    engine.cancel(job, technician)
    assert restores_asked(sent) == [job.pk]
    snapshot = SettingsSnapshot.objects.get(job=job)
    assert snapshot.restore_state == RestoreState.PENDING and snapshot.restore_requested_at


def test_the_sweeper_re_sends_a_restore_whose_message_was_lost(
    tenant_a, technician, settings, sent
):
    job = started(tenant_a, technician, settings)
    SettingsSnapshot.objects.create(
        job=job,
        existed=False,
        restore_state=RestoreState.PENDING,
        restore_requested_at=timezone.now() - undo.RESEND_AFTER - timedelta(seconds=1),
    )
    fresh = started(tenant_b_like(tenant_a), technician, settings)
    SettingsSnapshot.objects.create(
        job=fresh,
        existed=False,
        restore_state=RestoreState.PENDING,
        restore_requested_at=timezone.now(),
    )
    sent.clear()
    assert engine.sweep()["restores_resent"] == 1
    assert [args for name, args in sent if name == RESTORE_TASK] == [[job.pk]]
    assert engine.sweep()["restores_resent"] == 0  # its request time moved on


def tenant_b_like(tenant):
    return type(tenant).objects.create(
        name="Other", primary_domain="other.example", customer_admin_email="a@other.example"
    )
