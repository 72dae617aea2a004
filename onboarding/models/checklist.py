"""The Next steps checklist: which routing tasks a technician has ticked for a tenant, kept so a
reload (or a colleague) sees the same ticks."""

from django.conf import settings
from django.db import models

from tenants.models import Tenant


class NextStepTick(models.Model):
    """One ticked item of a tenant's Next steps; no row means not done yet."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="next_step_ticks")
    # "transport_rule", "inbound_connector", "outbound_connector", "spf", "dkim", "mx:<domain>"
    item = models.CharField(max_length=300)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "item"], name="one_tick_per_item")]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.item}"
