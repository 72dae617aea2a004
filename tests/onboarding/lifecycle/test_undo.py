"""Jobs never leave a live tenant worse than they found them (issue 11, part 2), against the
sandbox:
a re-run keeps the sync at the tenant's frequency, and a cancel or a failure at any step puts back
every Proofpoint setting the job changed."""

import pytest

from integrations.errors import TransientError
from onboarding import engine, undo
from onboarding.engine import runner
from onboarding.models import AuditEvent, JobState, RestoreState, SettingsSnapshot, Step, StepState
from onboarding.pipeline import STEPS, StepKey
from onboarding.secrets import rotation
from tenants.models import EntraApplication, Lifecycle
from tests.onboarding.lifecycle.conftest import (
    advance,
    customise,
    pp_settings,
    restores_asked,
    run_restores,
    run_until,
    settings_puts,
)
from tests.onboarding.proofpoint_fixtures import make_tenant

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
KEYS = [spec.key for spec in STEPS]


def test_a_re_run_on_a_live_tenant_never_pauses_its_sync(
    live, portal_sandbox, technician, settings
):
    settings.ROUTING_WAIT_SECONDS = 0
    tenant = live()
    puts_before = settings_puts(portal_sandbox)
    job = engine.start_job(tenant, technician)
    seen = []
    for _ in KEYS:
        step = advance(job, technician)
        seen.append(
            pp_settings(portal_sandbox, tenant)["sync_frequency"]
        )  # sampled after every step
        if step.key == StepKey.ROUTING_COUNTDOWN:
            break
    engine.run_job(job.pk)  # nothing left: the engine completes the job
    job.refresh_from_db()
    assert job.state == JobState.COMPLETED, [(s.key, s.state, s.message) for s in job.steps.all()]
    # Two PUTs (configure_sync, then the import), each in its own step, each sampled right after:
    # every
    # state the settings passed through kept the tenant's 3 h, and they were never missing.
    assert settings_puts(portal_sandbox) - puts_before == 2
    assert set(seen) == {3}
    assert (
        "keeps running every 3 h" in Step.objects.get(job=job, key=StepKey.CONFIGURE_SYNC).message
    )
    tenant.refresh_from_db()
    assert tenant.lifecycle == Lifecycle.LIVE


def test_a_first_onboarding_still_pauses_the_sync_until_the_review(
    onboard, portal_sandbox, settings
):
    job = onboard("fabrikam.example")
    advance(job)  # prepare_org
    step = advance(job)
    assert step.key == StepKey.CONFIGURE_SYNC
    assert pp_settings(portal_sandbox, job.tenant)["sync_frequency"] == 0


@pytest.mark.parametrize(
    "cancel_after",
    [
        KEYS.index(StepKey.PREPARE_ORG),
        *range(KEYS.index(StepKey.CONFIGURE_SYNC), KEYS.index(StepKey.IMPORT_ACCOUNTS)),
    ],
)
def test_a_cancel_at_each_step_of_a_re_run_puts_proofpoint_back(
    live, portal_sandbox, technician, sent, tech_client, cancel_after
):
    tenant = live()
    customise(tenant)  # 12 h, groups not added, deletions on: all things the re-run would change
    before = pp_settings(portal_sandbox, tenant)
    job = engine.start_job(tenant, technician)
    step = run_until(job, KEYS[cancel_after], technician)
    changed = pp_settings(portal_sandbox, tenant) != before
    assert changed == (cancel_after >= KEYS.index(StepKey.CONFIGURE_SYNC)), step.key
    engine.cancel(job, technician)
    assert restores_asked(sent) == ([job.pk] if changed else [])
    run_restores(sent)
    assert pp_settings(portal_sandbox, tenant) == before
    if changed:
        snapshot = SettingsSnapshot.objects.get(job=job)
        assert snapshot.restore_state == RestoreState.RESTORED
        assert AuditEvent.objects.filter(job=job, action="proofpoint.settings_restored").exists()
        page = tech_client.get(job.get_absolute_url()).content.decode()
        assert "were put back as they were before it" in page
    run_restores(sent)  # idempotent: a redelivered message changes nothing
    assert pp_settings(portal_sandbox, tenant) == before


def test_every_step_before_the_settings_are_touched_leaves_them_alone(
    live, portal_sandbox, technician, sent
):
    tenant = live()
    customise(tenant)
    before = pp_settings(portal_sandbox, tenant)
    job = engine.start_job(tenant, technician)
    for key in KEYS[: KEYS.index(StepKey.CONFIGURE_SYNC)]:
        run_until(job, key, technician)
        assert pp_settings(portal_sandbox, tenant) == before, key
    assert not SettingsSnapshot.objects.filter(job=job).exists()


@pytest.mark.parametrize("after", [StepKey.IMPORT_ACCOUNTS, StepKey.ROUTING_COUNTDOWN])
def test_once_the_import_has_started_a_cancel_is_refused_and_changes_nothing(
    live, portal_sandbox, technician, sent, after
):
    """Issue 13: Cancel goes once the import has run (it could not undo the imported accounts)."""
    tenant = live()
    job = engine.start_job(tenant, technician)
    run_until(job, after, technician)
    settings_then = pp_settings(portal_sandbox, tenant)
    with pytest.raises(engine.NotAllowedNow, match="already imported"):
        engine.cancel(job, technician)
    assert restores_asked(sent) == []
    assert pp_settings(portal_sandbox, tenant) == settings_then


@pytest.mark.parametrize("cancel_after", [StepKey.CONFIGURE_SYNC, StepKey.REVIEW])
def test_a_cancelled_first_onboarding_removes_the_settings_it_made(
    onboard, portal_sandbox, technician, sent, cancel_after
):
    job = onboard("fabrikam.example")
    assert pp_settings(portal_sandbox, job.tenant) is None
    run_until(job, cancel_after, technician)
    assert pp_settings(portal_sandbox, job.tenant) is not None
    engine.cancel(job, technician)
    run_restores(sent)
    assert pp_settings(portal_sandbox, job.tenant) is None


def test_a_failed_job_puts_proofpoint_back_and_a_retry_changes_it_again(
    live, portal_sandbox, technician, sent
):
    tenant = live()
    customise(tenant)
    before = pp_settings(portal_sandbox, tenant)
    job = engine.start_job(tenant, technician)
    run_until(job, StepKey.CONFIGURE_SYNC, technician)
    assert pp_settings(portal_sandbox, tenant)["sync_frequency"] == 3
    step = Step.objects.get(job=job, key=StepKey.BUILD_REPORT)
    runner.fail_step(job, step, "Graph said no.", held=False)
    assert restores_asked(sent) == [job.pk]
    run_restores(sent)
    assert pp_settings(portal_sandbox, tenant) == before
    # A retry runs the failed step again; the job's snapshot stays the one from before the job.
    engine.retry(job, technician)
    sent.clear()
    run_restores(
        [("onboarding.restore_settings", [job.pk])]
    )  # a late message while the job runs: no-op
    assert pp_settings(portal_sandbox, tenant) == before
    Step.objects.filter(job=job, key=StepKey.CONFIGURE_SYNC).update(state=StepState.PENDING)
    Step.objects.filter(job=job, key=StepKey.BUILD_REPORT).update(state=StepState.SUCCEEDED)
    Step.objects.filter(job=job).exclude(
        key__in=[StepKey.CONFIGURE_SYNC, StepKey.BUILD_REPORT]
    ).filter(order__gt=KEYS.index(StepKey.CONFIGURE_SYNC)).update(state=StepState.PENDING)
    Step.objects.filter(job=job, order__lt=KEYS.index(StepKey.CONFIGURE_SYNC)).update(
        state=StepState.SUCCEEDED
    )
    advance(job, technician)  # configure_sync again
    assert pp_settings(portal_sandbox, tenant)["sync_frequency"] == 3
    assert SettingsSnapshot.objects.get(job=job).settings["sync_frequency"] == 12
    engine.cancel(job, technician)
    run_restores(sent)
    assert pp_settings(portal_sandbox, tenant) == before


def test_the_restore_waits_for_a_step_still_running(live, portal_sandbox, technician, sent):
    tenant = live()
    job = engine.start_job(tenant, technician)
    run_until(job, StepKey.CONFIGURE_SYNC, technician)
    step = Step.objects.get(job=job, key=StepKey.BUILD_REPORT)
    assert runner._claim(step)  # a worker holds it, with a live lease
    engine.cancel(job, technician)
    with pytest.raises(TransientError, match="still running"):
        undo.restore_settings(job.pk)
    assert SettingsSnapshot.objects.get(job=job).restore_state == RestoreState.PENDING


def test_a_restore_that_cannot_be_done_is_shown_and_audited(
    live, portal_sandbox, technician, sent, tech_client, manager_client
):
    tenant = live()
    customise(tenant)
    job = engine.start_job(tenant, technician)
    run_until(job, StepKey.CONFIGURE_SYNC, technician)
    engine.cancel(job, technician)
    EntraApplication.objects.filter(tenant=tenant).update(secret="")
    from onboarding.tasks import restore_settings

    restore_settings.apply(args=[job.pk])
    snapshot = SettingsSnapshot.objects.get(job=job)
    assert (
        snapshot.restore_state == RestoreState.FAILED and "client secret" in snapshot.restore_error
    )
    assert AuditEvent.objects.filter(job=job, action="proofpoint.settings_restore_failed").exists()
    page = tech_client.get(tenant.get_absolute_url()).content.decode()
    assert "could not be put back" in page and f"job #{job.pk}" in page
    attention = manager_client.get("/dashboard/").content.decode().split("Needs attention")[1]
    assert "not put back" in attention and tenant.name in attention


def test_rotate_secret_now_on_a_live_tenant_never_leaves_the_sync_paused(
    live, portal_sandbox, technician
):
    tenant = live()
    customise(tenant, sync_frequency=0)  # paused by whatever happened before
    rotation.rotate_secret(tenant, actor=technician)
    assert pp_settings(portal_sandbox, tenant)["sync_frequency"] == tenant.sync_frequency_hours == 3


def test_rotation_keeps_a_first_onboardings_pause(onboard, portal_sandbox, technician, sent):
    job = onboard("fabrikam.example", sync_frequency_hours=6)
    run_until(job, StepKey.CONFIGURE_SYNC, technician)
    runner.fail_step(
        job, Step.objects.get(job=job, key=StepKey.BUILD_REPORT), "stop here", held=False
    )
    tenant = job.tenant
    tenant.refresh_from_db()
    assert tenant.lifecycle == Lifecycle.ONBOARDING
    rotation.rotate_secret(tenant, actor=technician)
    assert pp_settings(portal_sandbox, tenant)["sync_frequency"] == 0


def test_make_tenant_is_not_live(technician, db):
    assert make_tenant("contoso.example", technician).lifecycle == Lifecycle.NOT_ONBOARDED
