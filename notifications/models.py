"""Webhooks managers register, the log of what was POSTed to them, and who wants which emails."""

from django.conf import settings
from django.db import models

from tenants.fields import EncryptedTextField


class NotificationKind(models.TextChoices):
    CONSENT_ANSWERED = "consent_answered", "The customer answered the consent email"
    CONSENT_DECLINED = "consent_declined", "The customer declined consent (or Microsoft refused it)"
    REVIEW_READY = "review_ready", "The sync report is ready for review"
    STEP_FAILED = "step_failed", "A step failed"
    ROUTING_READY = "routing_ready", "Mail routing is ready (onboarding completed)"
    MANAGER_DIGEST = "manager_digest", "Daily digest of what needs attention (managers)"
    ROTATION_FAILED = (
        "rotation_failed",
        "A sync app's client secret could not be rotated (managers)",
    )
    HEALTH_CHANGED = (
        "health_changed",
        "A live client's health changed (managers; who ran its last job)",
    )


class NotificationPreference(models.Model):
    """One row per person and kind they changed; no row means the kind is on."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {'on' if self.enabled else 'off'}"


class Webhook(models.Model):
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    # Shown once at creation; kept encrypted because every delivery signs with it.
    secret = EncryptedTextField()
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.url

    @property
    def display_url(self) -> str:
        """The URL with an international host name in punycode: the host really called."""
        from notifications.targets import RefusedTarget, ascii_url

        try:
            return ascii_url(self.url)
        except (RefusedTarget, ValueError):
            return self.url


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    RETRYING = "retrying", "Retrying"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    payload = models.JSONField()
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.event} to {self.webhook_id} ({self.state})"
