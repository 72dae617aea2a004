"""What the API reads and writes, in api.md's shapes. Tenant validation is TenantForm's, word for
word."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, PermissionDenied

from onboarding.api.strict import StrictInput
from onboarding.consent.links import consent_status
from onboarding.models import JobState, OnboardingJob, Section, StepState, SyncReportRow
from onboarding.tenant_view import health_of
from tenants.forms import MANAGER_ONLY_MESSAGE, PROOFPOINT_TARGET_FIELDS, TenantForm
from tenants.models import HealthState, Lifecycle, Tenant
from tenants.roles import is_manager


class DomainTaken(APIException):
    """The primary domain belongs to another tenant: a conflict with what exists, not bad input."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "domain_taken"


MAX_ID = 2**31 - 1  # ids beyond what the database can hold are simply not found
FORM_FIELDS = list(TenantForm.Meta.fields)


class FindingSerializer(serializers.Serializer):
    code = serializers.CharField()
    severity = serializers.ChoiceField(choices=[("warning", "warning"), ("critical", "critical")])
    message = serializers.CharField()
    first_seen_at = serializers.DateTimeField()
    fixable = serializers.BooleanField()


class HealthSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=HealthState.choices)
    checked_at = serializers.DateTimeField(allow_null=True)
    findings = FindingSerializer(many=True)


class TenantSerializer(StrictInput, serializers.ModelSerializer):
    lifecycle = serializers.ChoiceField(choices=Lifecycle.choices, read_only=True)
    live_since = serializers.DateTimeField(read_only=True, allow_null=True)
    health = serializers.SerializerMethodField()
    domains = serializers.ListField(
        child=serializers.CharField(max_length=253),
        required=False,
        max_length=100,
        help_text="Further email domains; lower-cased.",
    )
    proofpoint_api_url = serializers.CharField(required=False, allow_blank=True, max_length=200)
    proofpoint_portal_url = serializers.CharField(required=False, allow_blank=True, max_length=200)

    class Meta:
        model = Tenant
        fields = [
            "id",
            "name",
            "primary_domain",
            "domains",
            "entra_tenant_id",
            "proofpoint_stack",
            "proofpoint_api_url",
            "proofpoint_portal_url",
            "create_proofpoint_org",
            "default_role",
            "sync_frequency_hours",
            "allow_deletions",
            "customer_admin_name",
            "customer_admin_email",
            "notes",
            "lifecycle",
            "live_since",
            "adopted",
            "health",
        ]
        read_only_fields = ["id", "entra_tenant_id", "lifecycle", "live_since", "adopted"]
        extra_kwargs = {
            # Uniqueness and the domain rules are checked by TenantForm, with its messages.
            "primary_domain": {"validators": []},
            "proofpoint_stack": {"required": True},
        }

    @extend_schema_field(HealthSerializer)
    def get_health(self, tenant) -> dict:
        # A list view puts the page's findings in the context (one query); a single tenant reads its
        # own.
        return HealthSerializer(health_of(tenant, self.context.get("findings"))).data

    def validate(self, attrs):
        """Run the page's TenantForm on the merged values, so both give the same answers."""
        self._check_proofpoint_target(attrs)
        base = self.instance or Tenant()
        data = {name: getattr(base, name) for name in FORM_FIELDS}
        data.update(attrs)
        data["domains"] = "\n".join(data.get("domains") or [])
        data = {name: ("" if value is None else value) for name, value in data.items()}
        form = TenantForm(
            data=data, instance=Tenant() if self.instance is None else _copy(self.instance)
        )
        if not form.is_valid():
            errors = form.errors.as_data()
            taken = all(e.code == "domain_taken" for e in errors.get("primary_domain", []))
            if list(errors) == ["primary_domain"] and taken:
                message = form.errors["primary_domain"][0]
                raise DomainTaken({"detail": message, "primary_domain": [message]})
            raise serializers.ValidationError(
                {
                    ("non_field_errors" if name == "__all__" else name): list(messages)
                    for name, messages in form.errors.items()
                }
            )
        return {name: form.cleaned_data[name] for name in FORM_FIELDS if name in form.cleaned_data}

    def _check_proofpoint_target(self, attrs) -> None:
        """A technician may not change a tenant's stack or Proofpoint URLs: 403 with words."""
        request = self.context.get("request")
        if self.instance is None or request is None or is_manager(request.user):
            return
        changed = [
            name
            for name in PROOFPOINT_TARGET_FIELDS
            if name in attrs and (attrs[name] or "") != (getattr(self.instance, name) or "")
        ]
        if changed:
            raise PermissionDenied(
                f"{MANAGER_ONLY_MESSAGE} (You asked to change: {', '.join(changed)}.)"
            )


def _copy(tenant: Tenant) -> Tenant:
    # The form writes cleaned values onto its instance while validating; keep the real one
    # untouched.
    return Tenant.objects.get(pk=tenant.pk)


class StepSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    state = serializers.ChoiceField(choices=StepState.choices)
    message = serializers.CharField()
    attempts = serializers.IntegerField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class ConsentSerializer(serializers.Serializer):
    state = serializers.CharField(
        help_text="sent, opened, approved, declined, failed, revoked, expired, "
        "skipped; not_sent or not_needed when no link exists."
    )
    sent_to = serializers.EmailField(allow_null=True)
    sent_at = serializers.DateTimeField(allow_null=True)
    opened_at = serializers.DateTimeField(allow_null=True)
    answered_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField(
        allow_null=True, help_text="The live link the customer was emailed (staff only)."
    )


class AppSerializer(serializers.Serializer):
    client_id = serializers.CharField()
    tenant_id = serializers.CharField()
    secret_hint = serializers.CharField()
    secret_expires_at = serializers.DateTimeField(allow_null=True)


class OnboardingSerializer(serializers.ModelSerializer):
    """A job with its steps, consent and app. Reads only prefetched relations (see
    views.job_queryset)."""

    tenant = serializers.IntegerField(source="tenant_id", read_only=True)
    state = serializers.ChoiceField(choices=JobState.choices, read_only=True)
    started_by = serializers.SerializerMethodField()
    steps = serializers.SerializerMethodField()
    consent = serializers.SerializerMethodField()
    app = serializers.SerializerMethodField()

    class Meta:
        model = OnboardingJob
        fields = [
            "id",
            "tenant",
            "kind",
            "state",
            "current_step",
            "started_by",
            "created_at",
            "finished_at",
            "routing_ready_at",
            "steps",
            "consent",
            "app",
        ]
        read_only_fields = fields

    def get_started_by(self, job) -> str | None:
        return job.started_by.get_username() if job.started_by else None

    @extend_schema_field(StepSerializer(many=True))
    def get_steps(self, job):
        titles = self.context.get("titles", {})
        return [
            {
                "key": s.key,
                "title": titles.get(s.key, s.key),
                "state": s.state,
                "message": s.message,
                "attempts": s.attempts,
                "started_at": _iso(s.started_at),
                "finished_at": _iso(s.finished_at),
            }
            for s in job.steps.all()
        ]

    @extend_schema_field(ConsentSerializer)
    def get_consent(self, job):
        return ConsentSerializer(consent_status(job)).data

    @extend_schema_field(AppSerializer(allow_null=True))
    def get_app(self, job):
        app = getattr(job.tenant, "entra_app", None) if _has_app(job.tenant) else None
        if app is None or not app.client_id:
            return None
        return {
            "client_id": app.client_id,
            "tenant_id": job.tenant.entra_tenant_id,
            "secret_hint": app.secret_hint,
            "secret_expires_at": _iso(app.secret_expires_at),
        }


def _iso(value):
    return serializers.DateTimeField().to_representation(value) if value else None


def _has_app(tenant) -> bool:
    try:
        return tenant.entra_app is not None
    except Tenant.entra_app.RelatedObjectDoesNotExist:
        return False


def _choice_words(choices) -> dict:
    values = ", ".join(value for value, _ in choices)
    return {"invalid_choice": f"“{{input}}” is not one of: {values}."}


class TenantFilterSerializer(serializers.Serializer):
    lifecycle = serializers.ChoiceField(
        choices=Lifecycle.choices, required=False, error_messages=_choice_words(Lifecycle.choices)
    )
    health = serializers.ChoiceField(
        choices=HealthState.choices,
        required=False,
        error_messages=_choice_words(HealthState.choices),
    )


class OnboardingFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=JobState.choices, required=False)
    tenant = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)


class ReportRowSerializer(serializers.ModelSerializer):
    section = serializers.ChoiceField(choices=Section.choices)
    aliases = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = SyncReportRow
        fields = [
            "id",
            "email",
            "display_name",
            "section",
            "kind",
            "licensed",
            "enabled",
            "guest",
            "aliases",
            "excluded",
        ]
        read_only_fields = fields


class ReportFilterSerializer(StrictInput, serializers.Serializer):
    section = serializers.ChoiceField(choices=Section.choices, required=False)
    kind = serializers.ChoiceField(
        choices=[("user", "user"), ("functional", "functional"), ("group", "group")], required=False
    )
    licensed = serializers.BooleanField(required=False)
    enabled = serializers.BooleanField(required=False)
    guest = serializers.BooleanField(required=False)
    excluded = serializers.BooleanField(required=False)
    search = serializers.CharField(required=False, max_length=200)


class ReportSelectionSerializer(StrictInput, serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=100_000,
    )
    filter = ReportFilterSerializer(required=False)

    def validate(self, attrs):
        if ("ids" in attrs) == ("filter" in attrs):
            raise serializers.ValidationError({"ids": ["Send either ids or filter (one of them)."]})
        return attrs


class ChangedSerializer(serializers.Serializer):
    changed = serializers.IntegerField()


class SectionCountsSerializer(serializers.Serializer):
    adding = serializers.IntegerField()
    updating = serializers.IntegerField()
    deleting = serializers.IntegerField()
    exempt = serializers.IntegerField()


class ReportSummarySerializer(serializers.Serializer):
    sections = SectionCountsSerializer()
    excluded = SectionCountsSerializer()
    total = serializers.IntegerField()
    excluded_total = serializers.IntegerField()


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()
