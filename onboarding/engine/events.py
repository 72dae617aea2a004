"""Job events (started, step succeeded/failed, waiting, completed, ...) for notifications and
webhooks.

The engine only announces; receivers (emails, webhooks) subscribe, so the engine knows none of them.
"""

from django.dispatch import Signal

# Sent with: job, event (str), step (Step | None)
job_event = Signal()

# Sent with: tenant, previous (str), state (str), findings (list of open TenantFinding) whenever a
# health check moves the tenant's health state (api.md v1.1; webhook event `tenant.health_changed`).
tenant_health_changed = Signal()
HEALTH_CHANGED = "tenant.health_changed"

# Sent with: failures (list of {"tenant", "error"}) when the daily rotation could not rotate some
# secrets.
secret_rotation_failed = Signal()

STARTED = "job.started"
STEP_SUCCEEDED = "step.succeeded"
STEP_FAILED = "step.failed"
WAITING = "job.waiting"
COMPLETED = "job.completed"
CANCELLED = "job.cancelled"
# The customer's answer to a consent link was "no" (or Microsoft said it failed): someone must act.
CONSENT_DECLINED = "consent.declined"


def emit(job, event: str, step=None) -> None:
    job_event.send(sender=job.__class__, job=job, event=event, step=step)
