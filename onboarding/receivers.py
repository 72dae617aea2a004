"""Listeners: the audit trail records tenant changes announced by the tenants app; the end of every
job sends a health check of a live tenant (api.md v1.1)."""

import logging

from django.dispatch import receiver

from onboarding import audit
from onboarding.engine import events
from onboarding.health import service as health
from tenants.signals import tenant_changed

log = logging.getLogger(__name__)


@receiver(tenant_changed)
def record_tenant_change(sender, request, action, description, tenant, **kwargs):
    audit.record(action, description, request=request, tenant=tenant)


@receiver(events.job_event, dispatch_uid="onboarding.health_check_at_job_end")
def check_health_at_job_end(sender, job, event, step=None, **kwargs) -> None:
    if event not in (events.COMPLETED, events.CANCELLED):
        return
    job.tenant.refresh_from_db(fields=["lifecycle"])
    if not health.is_checkable(job.tenant):
        return
    try:
        health.request_check(job.tenant)
    except Exception:  # noqa: BLE001  a job's end must not fail for a check not sent
        log.exception("Could not request a health check after job %s", job.pk)
