"""The REST API (docs/api.md): the same access helpers, workflow calls and audit records as the
pages.

Every view reaches tenants and jobs through onboarding.access (404 for what the caller may not see),
answers a state that does not fit with 409 {"detail"}, and records every change in the audit trail
(onboarding.audit.record marks requests under /api/ as via_api).
"""

from django.db.models import Prefetch, Q
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from onboarding import audit, engine
from onboarding.access import jobs_for, tenants_for
from onboarding.api import serializers as s
from onboarding.api.pagination import StrictPageNumberPagination
from onboarding.api.parsers import StrictJSONParser
from onboarding.api.schema import PortalAutoSchema
from onboarding.fleet import overview
from onboarding.health import service as health
from onboarding.models import ConsentLink, Step, SyncReportRow
from onboarding.pipeline import step_titles
from onboarding.report import queries as report_queries
from onboarding.report.queries import ReportFilterError
from onboarding.tenant_view import open_findings
from tenants.forms import proofpoint_target_changes

CONFLICT = OpenApiResponse(
    s.DetailSerializer, description="The onboarding's state does not allow this now."
)
NOT_FOUND = OpenApiResponse(s.DetailSerializer, description="Not found, or not visible to you.")
MAX_QUERY_LENGTH = 200
FLEET_FILTERS = {*overview.FILTER_WORDS, "sort"}
MAX_PARAMETER_LENGTH = 1000


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This does not fit the onboarding's current state."
    default_code = "conflict"


class PortalAPIView:
    """Checks every view shares: query parameters a database can store, and ids it can hold."""

    parser_classes = [StrictJSONParser]
    pagination_class = StrictPageNumberPagination
    schema = PortalAutoSchema()
    # Filters that must have a value when given: `?state=` is a mistake to report, not "no filter".
    required_values: tuple[str, ...] = ()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        for name, value in request.query_params.items():
            if "\x00" in value or len(value) > MAX_PARAMETER_LENGTH:
                raise ValidationError(
                    {name: ["This value contains characters or a length we cannot accept."]}
                )
        for name in self.required_values:
            if name in request.query_params and not request.query_params[name].strip():
                message = f"{name}= is empty: give a value, or leave {name} out."
                raise ValidationError({name: [message]})

    def get_object_by_pk(self, queryset):
        pk = self.kwargs["pk"]
        if not 0 < int(pk) <= s.MAX_ID:
            raise Http404
        return generics.get_object_or_404(queryset, pk=pk)


def job_queryset(user):
    """Jobs with everything the serializer reads, in a fixed number of queries for any page size."""
    return (
        jobs_for(user)
        .select_related("tenant__entra_app")
        .prefetch_related(
            Prefetch("steps", queryset=Step.objects.order_by("order")),
            Prefetch("consent_links", queryset=ConsentLink.objects.order_by("-created_at", "-pk")),
        )
    )


def job_context(view) -> dict:
    return {**generics.GenericAPIView.get_serializer_context(view), "titles": step_titles()}


@extend_schema(exclude=True)
class NotFoundView(PortalAPIView, APIView):
    """Anything else under /api/ (an unknown path, a negative id): 404 as JSON, never the HTML
    page."""

    def dispatch_not_found(self, request, *args, **kwargs):
        raise Http404

    get = post = put = patch = delete = dispatch_not_found


# --- tenants -------------------------------------------------------------------------------------
DOMAIN_TAKEN = OpenApiResponse(
    s.DetailSerializer,
    description="The primary domain already belongs to another tenant (also given as "
    "{primary_domain: [message]}).",
)


@extend_schema(tags=["tenants"])
class TenantList(PortalAPIView, generics.ListCreateAPIView):
    serializer_class = s.TenantSerializer

    @extend_schema(responses={201: s.TenantSerializer, 409: DOMAIN_TAKEN})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    @extend_schema(
        parameters=[
            OpenApiParameter("search", str, description="Name, domain or admin email."),
            s.TenantFilterSerializer,
            *[  # lifecycle and health are TenantFilterSerializer's, with their values
                OpenApiParameter(
                    name,
                    str,
                    description=f"Filter by {words}.",
                    enum=overview.FILTER_CHOICES.get(name),
                )
                for name, words in overview.FILTER_WORDS.items()
                if name not in ("lifecycle", "health")
            ],
            OpenApiParameter(
                "sort",
                str,
                enum=overview.SORT_CHOICES,
                description="A column to sort by; a leading - reverses.",
            ),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_serializer(self, *args, **kwargs):
        """A page of tenants reads its open findings in one query, whatever its size."""
        if args and kwargs.get("many"):
            rows = list(args[0])
            context = kwargs.setdefault("context", self.get_serializer_context())
            context["findings"] = open_findings(tenant.pk for tenant in rows)
            args = (rows, *args[1:])
        return super().get_serializer(*args, **kwargs)

    def get_queryset(self):
        params = s.TenantFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        tenants = tenants_for(self.request.user).order_by("name", "pk")
        if "lifecycle" in params.validated_data:
            tenants = tenants.filter(lifecycle=params.validated_data["lifecycle"])
        if "health" in params.validated_data:
            tenants = tenants.filter(health_state=params.validated_data["health"])
        for name in set(self.request.query_params) & FLEET_FILTERS:
            if not self.request.query_params.get(name, "").strip():  # ?job= is a mistake, not "any"
                raise ValidationError({name: ["Leave the filter out, or give it a value."]})
        if set(self.request.query_params) & FLEET_FILTERS:  # the fleet view's filters (issue 14)
            try:
                tenants = overview.filter_fleet(overview.fleet(tenants), self.request.query_params)
            except overview.FleetFilterError as error:
                raise ValidationError({error.field: [error.message]}) from None
        term = self.request.query_params.get("search", "").strip()[:MAX_QUERY_LENGTH]
        if term:
            tenants = tenants.filter(
                Q(name__icontains=term)
                | Q(primary_domain__icontains=term)
                | Q(customer_admin_email__icontains=term)
            )
        return tenants

    def perform_create(self, serializer):
        tenant = serializer.save(created_by=self.request.user)
        audit.record(
            "tenant.created", f"Created tenant {tenant}", request=self.request, tenant=tenant
        )


@extend_schema(
    tags=["tenants"], responses={200: s.TenantSerializer, 404: NOT_FOUND, 409: DOMAIN_TAKEN}
)
class TenantDetail(PortalAPIView, generics.RetrieveUpdateAPIView):
    serializer_class = s.TenantSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return self.get_object_by_pk(tenants_for(self.request.user))

    def perform_update(self, serializer):
        before = {name: getattr(serializer.instance, name) for name in s.FORM_FIELDS}
        tenant = serializer.save()
        changed = [name for name in s.FORM_FIELDS if getattr(tenant, name) != before[name]]
        audit.record(
            "tenant.updated",
            f"Edited tenant {tenant}: {', '.join(changed) or 'no changes'}",
            request=self.request,
            tenant=tenant,
        )
        target = proofpoint_target_changes(before, tenant)
        if target:
            audit.record(
                "tenant.proofpoint_target_changed",
                f"Changed where {tenant.name}'s Proofpoint calls go: {'; '.join(target)}",
                request=self.request,
                tenant=tenant,
            )


# --- onboardings ---------------------------------------------------------------------------------
@extend_schema(
    tags=["onboardings"],
    request=None,
    responses={
        201: s.OnboardingSerializer,
        404: NOT_FOUND,
        409: OpenApiResponse(
            s.DetailSerializer, description="The tenant already has an active onboarding."
        ),
    },
)
class TenantOnboardings(PortalAPIView, generics.GenericAPIView):
    serializer_class = s.OnboardingSerializer

    def post(self, request, pk):
        tenant = self.get_object_by_pk(tenants_for(request.user))
        try:
            job = engine.start_job(tenant, request.user, request)
        except engine.JobAlreadyActive as error:
            raise Conflict(str(error)) from None
        job = job_queryset(request.user).get(pk=job.pk)
        data = s.OnboardingSerializer(job, context=job_context(self)).data
        return Response(data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["onboardings"], parameters=[s.OnboardingFilterSerializer])
class OnboardingList(PortalAPIView, generics.ListAPIView):
    serializer_class = s.OnboardingSerializer
    required_values = ("state", "tenant")

    def get_queryset(self):
        params = s.OnboardingFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        jobs = job_queryset(self.request.user).order_by("-created_at", "-pk")
        if "state" in params.validated_data:
            jobs = jobs.filter(state=params.validated_data["state"])
        if "tenant" in params.validated_data:
            jobs = jobs.filter(tenant_id=params.validated_data["tenant"])
        return jobs

    def get_serializer_context(self):
        return job_context(self)


@extend_schema(tags=["onboardings"], responses={200: s.OnboardingSerializer, 404: NOT_FOUND})
class OnboardingDetail(PortalAPIView, generics.RetrieveAPIView):
    serializer_class = s.OnboardingSerializer

    def get_object(self):
        return self.get_object_by_pk(job_queryset(self.request.user))

    def get_serializer_context(self):
        return job_context(self)


class JobAction(PortalAPIView, generics.GenericAPIView):
    """POST-only action on a job: 200 with the onboarding, or 409 when its state does not fit."""

    serializer_class = s.OnboardingSerializer
    status_code = status.HTTP_200_OK

    def post(self, request, pk):
        job = self.get_object_by_pk(jobs_for(request.user))
        try:
            self.act(job)
        except engine.NotAllowedNow as error:
            raise Conflict(str(error)) from None
        return self.answer(job)

    def answer(self, job):
        job = job_queryset(self.request.user).get(pk=job.pk)
        return Response(
            s.OnboardingSerializer(job, context=job_context(self)).data, status=self.status_code
        )

    def act(self, job) -> None:
        raise NotImplementedError


ACTION_SCHEMA = extend_schema(
    tags=["onboardings"],
    request=None,
    responses={200: s.OnboardingSerializer, 404: NOT_FOUND, 409: CONFLICT},
)


@ACTION_SCHEMA
class OnboardingRetry(JobAction):
    def act(self, job):
        engine.retry(job, self.request.user, self.request)


@ACTION_SCHEMA
class OnboardingCancel(JobAction):
    def act(self, job):
        engine.cancel(job, self.request.user, self.request)


@ACTION_SCHEMA
class ConsentResend(JobAction):
    def act(self, job):
        from onboarding.consent.answers import resend_consent

        resend_consent(job, self.request.user, request=self.request)


# --- the report ----------------------------------------------------------------------------------
REPORT_PARAMETERS = [
    OpenApiParameter("section", str, enum=["adding", "updating", "deleting", "exempt"]),
    OpenApiParameter("kind", str, enum=["user", "functional", "group"]),
    *[OpenApiParameter(name, bool) for name in ("licensed", "enabled", "guest", "excluded")],
    OpenApiParameter("search", str, description="Part of the email address or the display name."),
    OpenApiParameter(
        "ordering",
        str,
        enum=[f"{sign}{field}" for field in report_queries.ORDERINGS for sign in ("", "-")],
    ),
]


def strict_report_query(params) -> None:
    """The API takes its filters exactly as the schema states them (the page is more forgiving).

    A name it does not know is refused, not ignored: a script asking for `?sectoin=adding` would
    otherwise get every row and take it for the filtered list."""
    known = [parameter.name for parameter in REPORT_PARAMETERS]
    unknown = [name for name in params if name not in (*known, "page")]
    if unknown:
        raise ValidationError(
            {
                (name or "(no name)")[:100]: [
                    f"Not a filter of the report. Use {', '.join(known)} or page "
                    "(see /api/schema/)."
                ]
                for name in unknown
            }
        )
    for parameter in REPORT_PARAMETERS:
        name, allowed = parameter.name, parameter.enum
        if parameter.type is bool:
            allowed = ("true", "false")
        if name in params and allowed and params[name] not in allowed:
            raise ValidationError({name: [f"Use one of {', '.join(allowed)}."]})


def report_error(error: ReportFilterError) -> ValidationError:
    return ValidationError({error.field: [error.message]})


@extend_schema(tags=["report"], parameters=REPORT_PARAMETERS)
class ReportList(PortalAPIView, generics.ListAPIView):
    serializer_class = s.ReportRowSerializer
    required_values = (*report_queries.REPORT_FILTERS, "ordering")

    def get_queryset(self):
        job = self.get_object_by_pk(jobs_for(self.request.user))
        strict_report_query(self.request.query_params)
        try:
            return report_queries.filter_rows(
                SyncReportRow.objects.filter(job=job), self.request.query_params
            )
        except ReportFilterError as error:
            raise report_error(error) from None


@extend_schema(tags=["report"], responses={200: s.ReportSummarySerializer, 404: NOT_FOUND})
class ReportSummary(PortalAPIView, generics.GenericAPIView):
    serializer_class = s.ReportSummarySerializer

    def get(self, request, pk):
        job = self.get_object_by_pk(jobs_for(request.user))
        return Response(report_queries.summary(job))


class ReportSelection(PortalAPIView, generics.GenericAPIView):
    serializer_class = s.ReportSelectionSerializer
    excluded = True

    def post(self, request, pk):
        job = self.get_object_by_pk(jobs_for(request.user))
        selection = s.ReportSelectionSerializer(data=request.data)
        selection.is_valid(raise_exception=True)
        try:
            changed = report_queries.set_excluded(
                job,
                excluded=self.excluded,
                ids=selection.validated_data.get("ids"),
                filters=selection.validated_data.get("filter"),
                actor=request.user,
                request=request,
            )
        except ReportFilterError as error:
            raise report_error(error) from None
        except engine.NotAllowedNow as error:
            raise Conflict(str(error)) from None
        return Response({"changed": changed})


SELECTION_SCHEMA = extend_schema(
    tags=["report"],
    request=s.ReportSelectionSerializer,
    responses={200: s.ChangedSerializer, 404: NOT_FOUND, 409: CONFLICT},
)


@SELECTION_SCHEMA
class ReportExclude(ReportSelection):
    excluded = True


@SELECTION_SCHEMA
class ReportInclude(ReportSelection):
    excluded = False


@extend_schema(
    tags=["report"],
    request=None,
    responses={202: s.OnboardingSerializer, 404: NOT_FOUND, 409: CONFLICT},
)
class ReportApprove(JobAction):
    status_code = status.HTTP_202_ACCEPTED

    def act(self, job):
        report_queries.approve(
            job, actor=self.request.user, request=self.request
        )  # records report.approved


# --- tenant health and repair (api.md v1.1) -------------------------------------------------------
@extend_schema(
    tags=["tenants"],
    request=None,
    responses={
        202: s.DetailSerializer,
        404: NOT_FOUND,
        409: OpenApiResponse(s.DetailSerializer, description="The tenant is not live."),
    },
)
class TenantHealthCheck(PortalAPIView, generics.GenericAPIView):
    """Run the health checks as a task; `health.checked_at` moves when they are done."""

    serializer_class = s.DetailSerializer

    def post(self, request, pk) -> Response:
        tenant = self.get_object_by_pk(tenants_for(request.user))
        try:
            health.request_check(tenant, request.user, request)
        except engine.NotAllowedNow as error:
            raise Conflict(str(error)) from None
        detail = "The health check is running; poll the tenant for health.checked_at."
        return Response({"detail": detail}, status=status.HTTP_202_ACCEPTED)


@extend_schema(
    tags=["tenants"],
    request=None,
    responses={
        201: s.OnboardingSerializer,
        404: NOT_FOUND,
        409: OpenApiResponse(
            s.DetailSerializer,
            description="The tenant has an active job, or no finding repair can fix.",
        ),
    },
)
class TenantRepair(PortalAPIView, generics.GenericAPIView):
    """Start a job of kind `repair` (served at /api/v1/onboardings/{id}/)."""

    serializer_class = s.OnboardingSerializer

    def post(self, request, pk):
        tenant = self.get_object_by_pk(tenants_for(request.user))
        try:
            job = health.start_repair(tenant, request.user, request)
        except (engine.JobAlreadyActive, engine.NotAllowedNow) as error:
            raise Conflict(str(error)) from None
        job = job_queryset(request.user).get(pk=job.pk)
        data = s.OnboardingSerializer(job, context=job_context(self)).data
        return Response(data, status=status.HTTP_201_CREATED)
