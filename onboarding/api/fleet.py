"""`POST /api/v1/tenants/discover/` (issue 14): the partner's child orgs in Proofpoint; with
`bring_in`, make tenants of the named orgs (existing ones matched by domain, never duplicated)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from onboarding.api.serializers import DetailSerializer
from onboarding.api.strict import StrictInput
from onboarding.api.views import PortalAPIView
from onboarding.fleet import discovery
from tenants.validators import validate_domain

MAX_BRING_IN = 500


class ProofpointUnavailable(APIException):
    """Proofpoint refused, failed or is not configured: 424, the request depended on it (a 5xx
    would say the portal itself broke)."""

    status_code = status.HTTP_424_FAILED_DEPENDENCY
    default_detail = "Proofpoint could not be read."
    default_code = "proofpoint_unavailable"


class DiscoverRequest(StrictInput, serializers.Serializer):
    bring_in = serializers.ListField(
        child=serializers.CharField(max_length=253, validators=[validate_domain]),
        required=False,
        max_length=MAX_BRING_IN,
        help_text="Primary domains of the orgs to make tenants of; leave out to only list them.",
    )


DISCOVER_RESPONSE = inline_serializer(
    "DiscoverResponse",
    {
        "orgs": serializers.ListField(child=serializers.DictField(), required=False),
        "results": serializers.ListField(child=serializers.DictField(), required=False),
    },
)


@extend_schema(
    tags=["tenants"],
    request=DiscoverRequest,
    responses={
        200: DISCOVER_RESPONSE,
        424: OpenApiResponse(DetailSerializer, description="Proofpoint could not be read."),
    },
)
class TenantDiscover(PortalAPIView, generics.GenericAPIView):
    serializer_class = DiscoverRequest

    def post(self, request):
        body = DiscoverRequest(data=request.data if request.body else {})  # no body: list the orgs
        body.is_valid(raise_exception=True)
        try:
            if body.validated_data.get("bring_in"):
                results = discovery.bring_in(
                    body.validated_data["bring_in"], actor=request.user, request=request
                )
                return Response({"results": [vars(r) for r in results]})
            return Response({"orgs": [org.as_json() for org in discovery.discover()]})
        except discovery.DiscoveryError as error:
            raise ProofpointUnavailable(error.message) from None
