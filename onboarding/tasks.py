"""Thin Celery tasks: arguments are ids, load, call the workflow, nothing else (style.md,
"Celery")."""

from celery import shared_task
from django.contrib.auth import get_user_model

from integrations.errors import PermanentError, TransientError
from onboarding import engine, undo
from onboarding.health import service as health
from onboarding.secrets import rotation
from tenants.models import Tenant


@shared_task(name="onboarding.run_job", acks_late=True, ignore_result=True)
def run_job(job_id: int) -> None:
    # Every step is idempotent and claimed with a conditional UPDATE, so a redelivered message is
    # harmless.
    engine.run_job(job_id)


@shared_task(name="onboarding.sweep", ignore_result=True)
def sweep() -> dict:
    return engine.sweep()


@shared_task(name="onboarding.rotate_expiring_secrets", ignore_result=True)
def rotate_expiring_secrets() -> dict:
    return rotation.rotate_expiring_secrets()


# The rotation carries on from its stored state, so a redelivered or retried message is harmless.
@shared_task(
    name="onboarding.rotate_secret",
    ignore_result=True,
    acks_late=True,
    autoretry_for=(TransientError,),
    retry_backoff=30,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def rotate_secret(tenant_id: int, user_id: int | None = None) -> None:
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        return
    actor = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    try:
        rotation.rotate_secret(tenant, actor=actor)
    except PermanentError:
        return  # recorded on the app (or another rotation is running): the tenant page shows it


RESTORE_MAX_RETRIES = 8


# Put back what a cancelled or failed job changed in Proofpoint (engine/undo.py sends it by name).
@shared_task(name="onboarding.restore_settings", bind=True, ignore_result=True, acks_late=True)
def restore_settings(self, job_id: int) -> None:
    try:
        undo.restore_settings(job_id)
    except TransientError as error:
        if self.request.retries >= RESTORE_MAX_RETRIES:
            undo.record_restore_failure(job_id, error)
            return
        delay = error.retry_after or min(600, 15 * 2**self.request.retries)
        raise self.retry(countdown=delay) from None
    except Exception as error:  # noqa: BLE001  a permanent failure is shown on the tenant page, not lost
        undo.record_restore_failure(job_id, error)


# Bringing in many Proofpoint orgs takes a few calls each: the page hands big selections to a
# worker.
# Each org is matched by domain first, so a redelivered message duplicates nothing.
@shared_task(name="onboarding.fleet_bring_in", ignore_result=True, acks_late=True)
def fleet_bring_in(domains: list[str], user_id: int | None = None) -> None:
    from onboarding.fleet import discovery

    actor = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    discovery.bring_in(domains, actor=actor)


@shared_task(name="onboarding.health_check", ignore_result=True, acks_late=True)
def health_check(tenant_id: int) -> None:
    # Reads only, recorded under a lock: a redelivered message just checks again.
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is not None:
        health.run_check(tenant)


@shared_task(name="onboarding.health_sweep", ignore_result=True)
def health_sweep() -> int:
    return health.sweep()
