"""The onboarding job, its steps and what they record.

The job row, not Celery's result backend, is the source of truth for progress (style.md).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from tenants.models import Tenant


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    WAITING_CUSTOMER = "waiting_customer", "Waiting for the customer"
    WAITING_REVIEW = "waiting_review", "Waiting for review"
    COUNTDOWN = "countdown", "Routing countdown"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


# The job-state groups, defined once (api.md: "a job is active until it is completed or cancelled").
# Finished: done for good; the tenant may start another job.
FINISHED_JOB_STATES = (JobState.COMPLETED, JobState.CANCELLED)
# Active: not finished. A failed job is active: it can be retried, so it still blocks a second one.
ACTIVE_JOB_STATES = tuple(state for state in JobState if state not in FINISHED_JOB_STATES)
# Halted: no worker moves it on by itself (finished, or failed until a person retries or cancels
# it).
HALTED_JOB_STATES = (*FINISHED_JOB_STATES, JobState.FAILED)


class JobKind(models.TextChoices):
    ONBOARDING = "onboarding", "Onboarding"
    REPAIR = "repair", "Repair"


class StepKey(models.TextChoices):
    """Each step's key (stored on Step.key) and title (shown on the job page, in emails and the
    API)."""

    RESOLVE_TENANT = "resolve_tenant", "Find the customer's Microsoft Entra tenant"
    CUSTOMER_CONSENT = "customer_consent", "Customer approves the onboarding app"
    CREATE_APP = "create_app", "Create the Proofpoint sync app registration"
    GRANT_CONSENT = "grant_consent", "Grant admin consent for its permissions"
    CREATE_SECRET = "create_secret", "Create the client secret"
    VERIFY_CREDENTIALS = "verify_credentials", "Check the new app can sign in"
    PREPARE_ORG = "prepare_org", "Prepare the Proofpoint organisation and domains"
    CONFIGURE_SYNC = "configure_sync", "Configure Azure sync in Proofpoint (paused)"
    BUILD_REPORT = "build_report", "Build the sync report"
    REVIEW = "review", "Review and exclude accounts"
    IMPORT_ACCOUNTS = "import_accounts", "Import accounts into Proofpoint"
    ROUTING_COUNTDOWN = "routing_countdown", "Wait before mail routing"
    # Repair (a live tenant's findings; customer_consent is shared with the onboarding)
    REPAIR_APP = "repair_app", "Recreate the sync app if it was deleted"
    REPAIR_PERMISSIONS = "repair_permissions", "Restore the sync app's permissions"
    REPAIR_DOMAINS = "repair_domains", "Add missing domains to the Proofpoint organisation"
    REPAIR_SECRET = "repair_secret", "Replace a missing, expired or expiring client secret"
    REPAIR_SYNC = "repair_sync", "Save the Azure sync settings at the tenant's frequency"
    RECHECK = "recheck", "Check the tenant's health again"


class StepState(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    WAITING = "waiting", "Waiting"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class OnboardingJob(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=20, choices=JobKind.choices, default=JobKind.ONBOARDING)
    state = models.CharField(
        max_length=20, choices=JobState.choices, default=JobState.QUEUED, db_index=True
    )
    current_step = models.CharField(max_length=40, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    state_changed_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    routing_ready_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant"],
                condition=Q(state__in=ACTIVE_JOB_STATES),
                name="one_active_job_per_tenant",
            )
        ]
        # "The latest job of each tenant" (tenant list, dashboard) is one index probe per tenant.
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"], name="job_latest_per_tenant"),
            # "Needs attention": the failed jobs and the reports waiting longest, oldest first.
            models.Index(fields=["state", "state_changed_at"], name="job_state_since"),
        ]

    def __str__(self) -> str:
        return f"Onboarding #{self.pk} of {self.tenant.name}"

    def get_absolute_url(self) -> str:
        return reverse("job-detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.state in FINISHED_JOB_STATES

    @property
    def is_halted(self) -> bool:
        return self.state in HALTED_JOB_STATES


class Step(models.Model):
    job = models.ForeignKey(OnboardingJob, on_delete=models.CASCADE, related_name="steps")
    key = models.CharField(max_length=40)
    order = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=20, choices=StepState.choices, default=StepState.PENDING)
    message = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    wake_at = models.DateTimeField(null=True, blank=True)
    deadline_at = models.DateTimeField(null=True, blank=True)
    log = models.JSONField(default=list, blank=True)
    # The step's own bookkeeping across attempts (for example, the name of the secret it is adding).
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["job", "order"]
        constraints = [models.UniqueConstraint(fields=["job", "key"], name="one_step_per_key")]
        indexes = [
            models.Index(fields=["state", "lease_expires_at"]),
            models.Index(fields=["state", "wake_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"
