"""Django admin for superusers. Secrets are never shown, not even encrypted."""

from django.contrib import admin
from django.db import models

from tenants.models import EntraApplication, Tenant


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "primary_domain", "proofpoint_stack", "entra_tenant_id", "created_at"]
    search_fields = ["name", "primary_domain", "customer_admin_email"]
    list_filter = ["proofpoint_stack", "default_role"]
    readonly_fields = ["entra_tenant_id", "created_by", "created_at", "updated_at"]
    formfield_overrides = {
        models.URLField: {"assume_scheme": "https"}
    }  # the Proofpoint URLs are https


@admin.register(EntraApplication)
class EntraApplicationAdmin(admin.ModelAdmin):
    list_display = ["tenant", "client_id", "secret_hint", "secret_expires_at"]
    exclude = ["secret", "pending_secret"]
    readonly_fields = [
        "tenant",
        "unique_name",
        "object_id",
        "client_id",
        "service_principal_id",
        "secret_key_id",
        "secret_hint",
        "secret_expires_at",
        "rotation_attempt_name",
        "pending_key_id",
        "pending_hint",
        "pending_expires_at",
        "rotation_claimed_until",
        "rotated_at",
        "rotation_failed_at",
        "rotation_error",
        "created_at",
        "updated_at",
    ]
