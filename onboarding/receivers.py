"""Listeners: the audit trail records tenant changes announced by the tenants app."""

from django.dispatch import receiver

from onboarding import audit
from tenants.signals import tenant_changed


@receiver(tenant_changed)
def record_tenant_change(sender, request, action, description, tenant, **kwargs):
    audit.record(action, description, request=request, tenant=tenant)
