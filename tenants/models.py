"""A Tenant is one MSP customer: its Microsoft 365 directory and its Proofpoint Essentials org."""

from django.conf import settings
from django.db import models
from django.urls import reverse

from tenants.fields import EncryptedTextField
from tenants.validators import normalize_domain, validate_domain


class ProofpointStack(models.TextChoices):
    US1 = "us1", "US1"
    US2 = "us2", "US2"
    US3 = "us3", "US3"
    US4 = "us4", "US4"
    US5 = "us5", "US5"
    EU1 = "eu1", "EU1"
    CUSTOM = "custom", "Custom (white label)"


class DefaultRole(models.TextChoices):
    END_USER = "end_user", "End user (can log in to Proofpoint)"
    SILENT_USER = "silent_user", "Silent (no Proofpoint login)"


class Lifecycle(models.TextChoices):
    """api.md v1.1: `live` from the first completed onboarding on, whatever later jobs do."""

    NOT_ONBOARDED = "not_onboarded", "Not onboarded"
    ONBOARDING = "onboarding", "Onboarding"
    LIVE = "live", "Live"
    OFFBOARDED = "offboarded", "Offboarded"


class HealthState(models.TextChoices):
    """api.md v1.1: `unknown` until the first check, `ok` without findings, else the worst
    severity."""

    UNKNOWN = "unknown", "Not checked yet"
    OK = "ok", "Healthy"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


# Proofpoint accepts only these sync frequencies (hours); 0 means "never" and is ours to set.
SYNC_FREQUENCIES = [1, 3, 6, 12, 24]


class Tenant(models.Model):
    name = models.CharField(max_length=200)
    primary_domain = models.CharField(max_length=253, unique=True, validators=[validate_domain])
    domains = models.JSONField(
        default=list, blank=True, help_text="Further email domains of the customer."
    )
    entra_tenant_id = models.CharField(max_length=36, blank=True, editable=False)
    proofpoint_stack = models.CharField(
        max_length=10, choices=ProofpointStack.choices, default="us1"
    )
    proofpoint_api_url = models.URLField(
        blank=True, help_text="Only for a white-label (custom) stack."
    )
    proofpoint_portal_url = models.URLField(
        blank=True, help_text="Only for a white-label (custom) stack."
    )
    create_proofpoint_org = models.BooleanField(
        default=False,
        help_text="Create the Proofpoint org under our partner account if it does not exist.",
    )
    default_role = models.CharField(
        max_length=20, choices=DefaultRole.choices, default=DefaultRole.END_USER
    )
    sync_frequency_hours = models.PositiveSmallIntegerField(
        default=1, choices=[(h, f"Every {h} hour{'s' if h > 1 else ''}") for h in SYNC_FREQUENCIES]
    )
    allow_deletions = models.BooleanField(
        default=False,
        help_text="Let the import delete Proofpoint accounts that are gone from Entra ID.",
    )
    customer_admin_name = models.CharField(max_length=200, blank=True)
    customer_admin_email = models.EmailField()
    notes = models.TextField(blank=True)
    # The tenant's live state (api.md v1.1), kept by the engine and the health checks, not by forms.
    lifecycle = models.CharField(
        max_length=20,
        choices=Lifecycle.choices,
        default=Lifecycle.NOT_ONBOARDED,
        editable=False,
        db_index=True,
    )
    live_since = models.DateTimeField(null=True, blank=True, editable=False)
    # How long the first completed onboarding took (start to completion), kept with live_since so
    # the dashboard's time-to-onboard figures aggregate tenants, not every job ever run. Empty for a
    # tenant brought in live from Proofpoint: the portal did not onboard it.
    onboarded_in = models.DurationField(null=True, blank=True, editable=False)
    # Brought in from Proofpoint with a sync app the portal did not make: checked read-only, never
    # rebuilt
    # unless a technician asks.
    adopted = models.BooleanField(default=False, editable=False)
    health_state = models.CharField(
        max_length=10,
        choices=HealthState.choices,
        default=HealthState.UNKNOWN,
        editable=False,
        db_index=True,
    )
    health_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.primary_domain})"

    def save(self, *args, **kwargs):
        self.primary_domain = normalize_domain(self.primary_domain)
        self.domains = sorted(
            {normalize_domain(d) for d in self.domains if d} - {self.primary_domain}
        )
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("tenant-detail", args=[self.pk])

    @property
    def all_domains(self) -> list[str]:
        return [self.primary_domain, *self.domains]

    @property
    def portal_redirect_uri(self) -> str:
        """The Proofpoint portal the sync app redirects to (seed step 6)."""
        if self.proofpoint_stack == ProofpointStack.CUSTOM:
            return self.proofpoint_portal_url
        return f"https://{self.proofpoint_stack}.proofpointessentials.com"


class EntraApplication(models.Model):
    """The single-tenant app registration in the customer's tenant that Proofpoint syncs with."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="entra_app")
    unique_name = models.CharField(max_length=120)
    object_id = models.CharField(max_length=36, blank=True)
    client_id = models.CharField(max_length=36, blank=True)
    service_principal_id = models.CharField(max_length=36, blank=True)
    secret = EncryptedTextField(blank=True)
    secret_key_id = models.CharField(max_length=36, blank=True)
    secret_hint = models.CharField(max_length=8, blank=True)
    secret_expires_at = models.DateTimeField(null=True, blank=True)
    # The rotation (onboarding/rotation.py): the display name of an addPassword in flight, saved
    # before
    # the call; then the new secret, held here until Proofpoint has it and the old one is removed.
    rotation_attempt_name = models.CharField(max_length=120, blank=True)
    pending_secret = EncryptedTextField(blank=True)
    pending_key_id = models.CharField(max_length=36, blank=True)
    pending_hint = models.CharField(max_length=8, blank=True)
    pending_expires_at = models.DateTimeField(null=True, blank=True)
    # One rotation at a time (claimed with a conditional UPDATE); a killed worker's claim lapses.
    rotation_claimed_until = models.DateTimeField(null=True, blank=True)
    # The last rotation's outcome, for the tenant page and the dashboard.
    rotated_at = models.DateTimeField(null=True, blank=True)
    rotation_failed_at = models.DateTimeField(null=True, blank=True)
    rotation_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.unique_name} ({self.client_id or 'not created'})"
