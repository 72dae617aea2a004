"""The OpenAPI schema documents every answer a client can get, including the errors (api.md "Errors")."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse

from onboarding.api.serializers import DetailSerializer

ERRORS = {
    "401": OpenApiResponse(DetailSerializer, description="Missing or bad token."),
    "403": OpenApiResponse(DetailSerializer, description="Your account may not use the API."),
    "404": OpenApiResponse(DetailSerializer, description="Not found, or not visible to you (also a page past "
                                                         "the last)."),
}
VALIDATION = OpenApiResponse(OpenApiTypes.OBJECT, description="Validation failed: {field: [messages]}.")


class PortalAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, response in {**ERRORS, "400": VALIDATION}.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses
