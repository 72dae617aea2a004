"""Consent links: what the customer's admin is emailed to approve the onboarding app(s)."""

import hashlib

from django.db import models
from django.utils import timezone

from onboarding.models.job import OnboardingJob
from tenants.fields import EncryptedTextField


class ConsentPurpose(models.TextChoices):
    MSP_APP = "msp_app", "Let the MSP's onboarding app work in the tenant"
    SYNC_APP = "sync_app", "Grant the Proofpoint sync app its permissions"


class ConsentState(models.TextChoices):
    SENT = "sent", "Sent"
    OPENED = "opened", "Opened"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    FAILED = "failed", "Failed"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"
    SKIPPED = "skipped", "Not needed"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ConsentLink(models.Model):
    """One emailed link. Only the token's hash is stored: a database leak reveals no usable link."""

    job = models.ForeignKey(OnboardingJob, on_delete=models.CASCADE, related_name="consent_links")
    purpose = models.CharField(
        max_length=20, choices=ConsentPurpose.choices, default=ConsentPurpose.MSP_APP
    )
    token_hash = models.CharField(max_length=64, unique=True)
    # Kept encrypted so staff can copy the live link again; cleared once the link is used or
    # revoked.
    token = EncryptedTextField(blank=True)
    state = models.CharField(max_length=20, choices=ConsentState.choices, default=ConsentState.SENT)
    sent_to = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    outcome_message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Consent link for job {self.job_id} ({self.state})"

    @property
    def is_live(self) -> bool:
        return (
            self.state in (ConsentState.SENT, ConsentState.OPENED)
            and self.expires_at > timezone.now()
        )
