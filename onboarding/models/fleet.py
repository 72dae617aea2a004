"""The whole fleet (issue 14): what Proofpoint last said of each tenant's org; bulk batches."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from onboarding.models.job import OnboardingJob
from tenants.models import EntraApplication, Tenant


class ProofpointSnapshot(models.Model):
    """The org as discovery (or a later check) last read it: sync settings, licences, users."""

    tenant = models.OneToOneField(
        Tenant, on_delete=models.CASCADE, related_name="proofpoint_snapshot"
    )
    org_name = models.CharField(max_length=200, blank=True)
    org_domains = models.JSONField(default=list, blank=True)
    sync_configured = models.BooleanField(default=False)
    application_id = models.CharField(max_length=64, blank=True)
    # Who made the sync app: "portal", "foreign" (someone else's), "" (no sync, or not known).
    app_origin = models.CharField(max_length=10, blank=True)
    sync_frequency = models.PositiveSmallIntegerField(null=True, blank=True)
    secret_expiry = models.DateTimeField(null=True, blank=True, db_index=True)
    last_successful_sync = models.DateTimeField(null=True, blank=True, db_index=True)
    user_licenses = models.IntegerField(null=True, blank=True)
    active_users = models.IntegerField(null=True, blank=True)
    read_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Proofpoint snapshot of {self.tenant_id}"


def brought_in_without_app(tenant: Tenant) -> bool:
    """Brought in from Proofpoint (adopted, or with a discovery snapshot) and holding no sync app
    the portal made: its sync runs with the app Proofpoint's settings name, whose ids and secrets
    the portal does not hold. Checks, repair and pages treat such a tenant apart; a tenant the
    portal onboarded always has its EntraApplication."""
    if EntraApplication.objects.filter(tenant=tenant).exists():
        return False
    return tenant.adopted or ProofpointSnapshot.objects.filter(tenant=tenant).exists()


class OnboardingBatch(models.Model):
    """Many tenants started at once; each still gets its own job and its own consent email."""

    name = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name or f"Batch #{self.pk}"


class BatchItem(models.Model):
    batch = models.ForeignKey(OnboardingBatch, on_delete=models.CASCADE, related_name="items")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    job = models.ForeignKey(
        OnboardingJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Why no job was started (already onboarding, ...), in words for people.
    skipped_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "tenant"], name="batch_item_once")]

    def __str__(self) -> str:
        return f"{self.batch} / {self.tenant_id}"


class TenantImport(models.Model):
    """An uploaded tenants CSV, kept between its dry run and the technician's choice to import."""

    filename = models.CharField(max_length=200, blank=True)
    content = models.BinaryField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    imported_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.filename or f"Import #{self.pk}"
