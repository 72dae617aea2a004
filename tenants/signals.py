"""Announcements from tenants that higher apps (the audit trail in onboarding) listen to."""

from django.dispatch import Signal

# Sent with: request, action, description, tenant
tenant_changed = Signal()
