"""Pages for managers (dashboard, audit trail, webhooks) and everyone's email preferences."""

from django.urls import path

from onboarding.views import audit, dashboard, preferences, webhooks

urlpatterns = [
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("audit/", audit.audit_list, name="audit-list"),
    path("tenants/<int:pk>/audit/", audit.tenant_audit, name="tenant-audit"),
    path("webhooks/", webhooks.webhook_list, name="webhooks"),
    path("webhooks/<int:pk>/delete/", webhooks.webhook_delete, name="webhook-delete"),
    path("preferences/", preferences.preferences, name="preferences"),
]
