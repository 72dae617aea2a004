"""What the health checks found (api.md v1.1, "Tenant lifecycle and health").

A TenantFinding is one problem of one tenant, by its stable code: it keeps `first_seen_at` while the
checks keep seeing it and gets `closed_at` when they stop. HealthCheck is the last check's outcome:
when it ran and which facts it could not read (a DNS timeout, an org without a licence count).
"""

from django.db import models
from django.db.models import Q

from tenants.models import Tenant


class Severity(models.TextChoices):
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class TenantFinding(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="findings")
    code = models.CharField(max_length=40)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    message = models.TextField()
    first_seen_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    fixable = models.BooleanField(default=False)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["tenant", "first_seen_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "code"],
                condition=Q(closed_at__isnull=True),
                name="one_open_finding_per_code",
            ),
        ]

    def __str__(self) -> str:
        state = "open" if self.closed_at is None else "closed"
        return f"{self.code} of tenant {self.tenant_id} ({state})"


class HealthCheck(models.Model):
    """The latest health check of a tenant (one row per tenant, rewritten by each check)."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="health_check")
    requested_at = models.DateTimeField(
        null=True, blank=True
    )  # a check task was sent (sweep, button, job end)
    checked_at = models.DateTimeField(null=True, blank=True)
    unchecked = models.JSONField(
        default=list, blank=True
    )  # sentences: what could not be read, and why
    requests = models.PositiveIntegerField(default=0)  # outbound calls the last check made
    # A check running now holds a slot of the in-flight bounds until then (engine/throttle.py).
    running_until = models.DateTimeField(null=True, blank=True)
    error = models.TextField(
        blank=True
    )  # a check that could not run at all (a portal setting missing)

    def __str__(self) -> str:
        return f"health check of tenant {self.tenant_id} at {self.checked_at}"
