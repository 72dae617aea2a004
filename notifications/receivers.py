"""Turn the engine's job events into emails and webhook deliveries, sent by Celery after commit.

The engine emits inside its own updates: nothing here may raise into it. Each receiver works inside
a
savepoint, so a failure here rolls back only its own rows, and the Celery messages are sent only
once
the engine's transaction commits (NetBox Job.enqueue).
"""

import logging

from django.db import transaction
from django.dispatch import receiver

from notifications.emails import notify_rotation_failures
from notifications.models import NotificationKind
from notifications.webhooks import health_payload, job_payload, queue_deliveries
from onboarding.engine import events
from onboarding.models import ConsentLink, ConsentPurpose, JobKind, JobState, StepKey
from onboarding.pipeline import step_titles
from tenants.models import Tenant

log = logging.getLogger(__name__)
CONSENT_STEPS = (StepKey.CUSTOMER_CONSENT,)


def customer_was_asked(job) -> bool:
    """A consent email really went to the customer (consent already in place sends none)."""
    return ConsentLink.objects.filter(
        job=job, purpose=ConsentPurpose.MSP_APP, sent_at__isnull=False
    ).exists()


def emails_for(job, event: str, step) -> list[str]:
    """The email kinds an event causes ("customer_completed" goes to the customer's admin)."""
    if event == events.STEP_FAILED:
        return [NotificationKind.STEP_FAILED]
    if event == events.CONSENT_DECLINED:
        return [NotificationKind.CONSENT_DECLINED]
    if event == events.STEP_SUCCEEDED and step is not None and step.key in CONSENT_STEPS:
        return [NotificationKind.CONSENT_ANSWERED] if customer_was_asked(job) else []
    if event == events.WAITING and job.state == JobState.WAITING_REVIEW:
        return [NotificationKind.REVIEW_READY]
    if event == events.COMPLETED:
        # The customer hears once, when they go live: not again for a re-run or a repair of a live
        # tenant.
        return [
            NotificationKind.ROUTING_READY,
            *(["customer_completed"] if _went_live_with(job) else []),
        ]
    return []


def _went_live_with(job) -> bool:
    """The job is the tenant's first completed onboarding (engine/lifecycle.py set live_since from
    it)."""
    live_since = (
        Tenant.objects.filter(pk=job.tenant_id).values_list("live_since", flat=True).first()
    )
    return (
        job.kind == JobKind.ONBOARDING and live_since is not None and live_since == job.finished_at
    )


def _send_later(task, *args) -> None:
    def send() -> None:
        try:
            task.delay(*args)
        except Exception:  # noqa: BLE001  a broker hiccup loses a notification, never a job
            log.exception("Could not enqueue %s%s", task.name, args)

    transaction.on_commit(send)


@receiver(events.job_event, dispatch_uid="notifications.on_job_event")
def on_job_event(sender, job, event, step=None, **kwargs):
    from notifications import tasks

    try:
        with transaction.atomic():
            delivery_ids = queue_deliveries(event, job_payload(job, event, step, step_titles()))
    except Exception:  # noqa: BLE001
        log.exception("Could not queue webhooks for %s of job %s", event, job.pk)
        delivery_ids = []
    for delivery_id in delivery_ids:
        _send_later(tasks.deliver_webhook, delivery_id)
    for kind in emails_for(job, event, step):
        _send_later(tasks.send_job_email, str(kind), job.pk)


@receiver(events.secret_rotation_failed)
def email_rotation_failures(sender, failures, **kwargs) -> None:
    try:
        notify_rotation_failures(failures)
    except Exception:  # noqa: BLE001  the rotation results are recorded; a mail failure must not undo them
        log.exception("Could not email the secret rotation failures")


@receiver(events.tenant_health_changed, dispatch_uid="notifications.on_health_changed")
def on_health_changed(sender, tenant, previous, state, findings, **kwargs) -> None:
    """A signed `tenant.health_changed` webhook and an email to who asked for it."""
    from notifications import tasks

    try:
        with transaction.atomic():
            payload = health_payload(tenant, previous, state, findings)
            delivery_ids = queue_deliveries(events.HEALTH_CHANGED, payload)
    except Exception:  # noqa: BLE001  the check is recorded; a webhook failure must not undo it
        log.exception("Could not queue the health webhooks of tenant %s", tenant.pk)
        delivery_ids = []
    for delivery_id in delivery_ids:
        _send_later(tasks.deliver_webhook, delivery_id)
    _send_later(tasks.send_health_email, tenant.pk, previous, state)
