"""Pages for managers: the dashboard and the audit trail."""

from django.urls import path

from onboarding.views import audit, dashboard

urlpatterns = [
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("audit/", audit.audit_list, name="audit-list"),
    path("tenants/<int:pk>/audit/", audit.tenant_audit, name="tenant-audit"),
]
