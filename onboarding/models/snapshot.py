"""What a job found in Proofpoint before it first changed a setting, so that cancelling or failing
the job can put it back (issue 11: jobs never leave a live tenant worse than they found them).

Recorded BEFORE the job's first PUT of settings/azure, so the undo survives a worker killed between
"change a setting" and "record it". Never the secret: Proofpoint's GET masks `ad_key` anyway, and a
restore sends the tenant's current stored (encrypted) secret.
"""

from django.db import models

from onboarding.models.job import OnboardingJob


class RestoreState(models.TextChoices):
    NOT_NEEDED = "not_needed", "Nothing to put back"
    PENDING = "pending", "Putting back"
    RESTORED = "restored", "Put back"
    FAILED = "failed", "Could not put back"


class SettingsSnapshot(models.Model):
    job = models.OneToOneField(
        OnboardingJob, on_delete=models.CASCADE, related_name="settings_snapshot"
    )
    # False: the org had no Azure sync settings before the job (a restore deletes them).
    existed = models.BooleanField(default=False)
    # The settings as Proofpoint returned them, without `ad_key`.
    settings = models.JSONField(default=dict, blank=True)
    taken_at = models.DateTimeField(auto_now_add=True)
    restore_state = models.CharField(
        max_length=20, choices=RestoreState.choices, default=RestoreState.NOT_NEEDED, db_index=True
    )
    restore_requested_at = models.DateTimeField(null=True, blank=True)
    restored_at = models.DateTimeField(null=True, blank=True)
    restore_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"Proofpoint settings before job #{self.job_id} ({self.get_restore_state_display()})"

    @property
    def frequency(self) -> int | None:
        return self.settings.get("sync_frequency") if self.existed else None
