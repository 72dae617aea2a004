"""Django admin for superusers: read-mostly views of jobs, steps and the audit trail."""

from django.contrib import admin

from onboarding.models import AuditEvent, ConsentLink, OnboardingJob, OutboxMessage, Step


class StepInline(admin.TabularInline):
    model = Step
    extra = 0
    fields = ["order", "key", "state", "attempts", "message", "started_at", "finished_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(OnboardingJob)
class OnboardingJobAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "tenant",
        "state",
        "current_step",
        "started_by",
        "created_at",
        "finished_at",
    ]
    list_filter = ["state"]
    search_fields = ["tenant__name", "tenant__primary_domain"]
    readonly_fields = [
        "tenant",
        "started_by",
        "created_at",
        "state_changed_at",
        "finished_at",
        "dispatched_at",
    ]
    inlines = [StepInline]


@admin.register(ConsentLink)
class ConsentLinkAdmin(admin.ModelAdmin):
    list_display = ["job", "purpose", "state", "sent_to", "sent_at", "answered_at", "expires_at"]
    list_filter = ["state", "purpose"]
    exclude = ["token", "token_hash"]
    readonly_fields = [
        "job",
        "purpose",
        "sent_to",
        "sent_at",
        "opened_at",
        "answered_at",
        "created_at",
    ]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor_label", "action", "tenant", "ip_address", "via_api"]
    list_filter = ["action", "via_api"]
    search_fields = ["description", "actor_label"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # the trail is evidence: nobody edits it

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "to", "subject"]
