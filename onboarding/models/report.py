"""The sync report: what Proofpoint's "Save & Run Sync Now" would show, one row per account."""

from django.db import models

from onboarding.models.job import OnboardingJob


class Section(models.TextChoices):
    ADDING = "adding", "Adding"
    UPDATING = "updating", "Updating"
    DELETING = "deleting", "Deleting"
    EXEMPT = "exempt", "Exempt from sync"


class AccountKind(models.TextChoices):
    USER = "user", "User"
    FUNCTIONAL = "functional", "Functional account"
    GROUP = "group", "Group"


class ImportState(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class SyncReportRow(models.Model):
    job = models.ForeignKey(OnboardingJob, on_delete=models.CASCADE, related_name="report_rows")
    email = models.CharField(max_length=320)
    display_name = models.CharField(max_length=256, blank=True)
    firstname = models.CharField(max_length=128, blank=True)
    surname = models.CharField(max_length=128, blank=True)
    entra_id = models.CharField(max_length=36, blank=True)
    section = models.CharField(max_length=10, choices=Section.choices)
    kind = models.CharField(max_length=10, choices=AccountKind.choices)
    proofpoint_type = models.CharField(max_length=30, blank=True)
    licensed = models.BooleanField(default=False)
    enabled = models.BooleanField(default=True)
    guest = models.BooleanField(default=False)
    aliases = models.JSONField(default=list, blank=True)
    excluded = models.BooleanField(default=False)
    import_state = models.CharField(
        max_length=10, choices=ImportState.choices, default=ImportState.PENDING
    )
    import_error = models.TextField(blank=True)

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(fields=["job", "email"], name="one_report_row_per_email")
        ]
        indexes = [
            models.Index(fields=["job", "section", "email"]),
            models.Index(
                fields=["job", "section", "excluded"]
            ),  # the summary counts, from the index alone
            models.Index(fields=["job", "display_name"]),
            models.Index(fields=["job", "import_state"]),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.section})"
