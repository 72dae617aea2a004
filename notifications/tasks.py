"""Thin Celery tasks for emails and webhooks: ids in, load, call the domain function (style.md)."""

import logging
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings

from notifications import emails, webhooks
from notifications.models import DeliveryState, WebhookDelivery
from onboarding.models import OnboardingJob
from tenants.models import Tenant

log = logging.getLogger(__name__)


@shared_task(
    name="notifications.send_job_email",
    ignore_result=True,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=60,
    retry_jitter=True,
    max_retries=3,
)
def send_job_email(kind: str, job_id: int) -> None:
    job = OnboardingJob.objects.select_related("tenant", "started_by").filter(pk=job_id).first()
    if job is None:
        return
    if kind == "customer_completed":
        emails.notify_customer_completed(job)
    else:
        emails.notify_technician(kind, job)


@shared_task(
    name="notifications.deliver_webhook",
    bind=True,
    ignore_result=True,
    acks_late=True,
    autoretry_for=(webhooks.DeliveryFailed,),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=settings.WEBHOOK_MAX_RETRIES,
)
def deliver_webhook(self, delivery_id: int) -> None:
    delivery = (
        WebhookDelivery.objects.select_related("webhook")
        .filter(
            pk=delivery_id,
            state__in=[DeliveryState.PENDING, DeliveryState.RETRYING],
            webhook__active=True,
        )
        .first()
    )
    if delivery is None:
        return
    final = self.request.retries >= self.max_retries
    delivered = webhooks.deliver(delivery, final=final)
    if not delivered and not final and delivery.state != DeliveryState.FAILED:  # FAILED: refused
        raise webhooks.DeliveryFailed(delivery.error)


@shared_task(name="onboarding.send_manager_digest", ignore_result=True)
def send_manager_digest() -> int:
    return emails.send_manager_digest()


@shared_task(
    name="notifications.send_health_email",
    ignore_result=True,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=60,
    retry_jitter=True,
    max_retries=3,
)
def send_health_email(tenant_id: int, previous: str, state: str) -> None:
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is not None:
        emails.notify_health_changed(tenant, previous, state)
