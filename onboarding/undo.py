"""Put back the Proofpoint settings a cancelled or failed job changed (issue 11), from the snapshot
the job recorded before its first change (sync_app.remember_before_change).

Idempotent and safe to repeat: it writes what the snapshot says (or deletes settings that did not
exist before), and does nothing while the job runs again (a retry). The secret is never stored: the
restore sends the tenant's current stored secret with the snapshot's other fields.
"""

from __future__ import annotations

from django.utils import timezone

from integrations.errors import PermanentError, TransientError
from integrations.proofpoint.client import AZURE_SETTINGS_FIELDS
from onboarding import audit
from onboarding.clients import proofpoint_client
from onboarding.models import JobState, OnboardingJob, RestoreState, SettingsSnapshot, StepState
from tenants.models import EntraApplication

HALTED_FOR_UNDO = (JobState.CANCELLED, JobState.FAILED)
STEP_STILL_RUNNING_RETRY_SECONDS = 10.0


def restore_settings(job_id: int) -> str:
    """Put the job's Proofpoint settings back. Returns what was done; raises TransientError to
    retry."""
    snapshot = SettingsSnapshot.objects.select_related("job__tenant").filter(job_id=job_id).first()
    if snapshot is None or snapshot.restore_state != RestoreState.PENDING:
        return "Nothing to put back."
    job = snapshot.job
    if job.state not in HALTED_FOR_UNDO:
        SettingsSnapshot.objects.filter(pk=snapshot.pk).update(
            restore_state=RestoreState.NOT_NEEDED
        )
        return "The job runs again; nothing is put back."
    if job.steps.filter(state=StepState.RUNNING, lease_expires_at__gt=timezone.now()).exists():
        # A worker may still be saving settings for this job: put back after it stops, not before.
        raise TransientError(
            message="A step of this job is still running; its settings are put back once it stops.",
            retry_after=STEP_STILL_RUNNING_RETRY_SECONDS,
        )
    done = _apply(snapshot, job)
    SettingsSnapshot.objects.filter(pk=snapshot.pk, restore_state=RestoreState.PENDING).update(
        restore_state=RestoreState.RESTORED, restored_at=timezone.now(), restore_error=""
    )
    audit.record("proofpoint.settings_restored", done, job=job)
    return done


def _apply(snapshot: SettingsSnapshot, job: OnboardingJob) -> str:
    tenant = job.tenant
    client = proofpoint_client(tenant)
    org = tenant.primary_domain
    what = f"#{job.pk} ({job.get_state_display().lower()})"
    if not snapshot.existed:
        client.delete_azure_settings(org)
        return (
            f"Removed the Azure sync settings of the Proofpoint org {org}: there were none before "
            "job "
            f"{what}."
        )
    current = client.get_azure_settings(org) or {}
    wanted = {
        name: value for name, value in snapshot.settings.items() if name in AZURE_SETTINGS_FIELDS
    }
    if current and all(current.get(name) == value for name, value in wanted.items()):
        return (
            f"The Azure sync settings of the Proofpoint org {org} are as they were before "
            f"job {what}."
        )
    app = EntraApplication.objects.filter(tenant=tenant).first()
    if app is None or not app.secret:
        raise PermanentError(
            message="The portal holds no client secret for this tenant's sync app, so the "
            "sync settings cannot be saved again. Save them in the Proofpoint portal.",
            code="no_secret",
        )
    try:
        client.put_azure_settings(org, {**wanted, "ad_key": app.secret})
    except ValueError as error:  # the snapshot lacks a field Proofpoint needs
        raise PermanentError(
            message=f"The settings recorded before the job are incomplete ({error}); save "
            "them in the Proofpoint portal.",
            code="snapshot_incomplete",
        ) from error
    return (
        f"Put back the Azure sync settings of the Proofpoint org {org} as they were before job "
        f"{what} "
        f"(sync every {wanted.get('sync_frequency')} h)."
    )


def record_restore_failure(job_id: int, error: Exception) -> None:
    """The restore cannot be done: shown on the tenant page and in the audit trail."""
    text = (
        str(error)
        if isinstance(error, (PermanentError, TransientError))
        else (f"Unexpected error ({type(error).__name__}); see the worker log.")
    )
    snapshot = SettingsSnapshot.objects.select_related("job__tenant").filter(job_id=job_id).first()
    if snapshot is None:
        return
    SettingsSnapshot.objects.filter(pk=snapshot.pk).update(
        restore_state=RestoreState.FAILED, restore_error=text[:2000]
    )
    audit.record(
        "proofpoint.settings_restore_failed",
        f"Could not put back the Azure sync settings job #{job_id} changed: {text} Check them in "
        "the "
        "Proofpoint portal.",
        job=snapshot.job,
    )
