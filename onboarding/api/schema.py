"""The OpenAPI schema documents every answer a client can get, including the errors (api.md
"Errors")."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse

from onboarding.api.serializers import DetailSerializer

ERRORS = {
    "401": OpenApiResponse(DetailSerializer, description="Missing or bad token."),
    "403": OpenApiResponse(DetailSerializer, description="Your account may not use the API."),
    "404": OpenApiResponse(
        DetailSerializer,
        description="Not found, or not visible to you (also a page past the last).",
    ),
}
VALIDATION = OpenApiResponse(
    OpenApiTypes.OBJECT, description="Validation failed: {field: [messages]}."
)


class PortalAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, response in {**ERRORS, "400": VALIDATION}.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses


# --- the rules the API enforces, stated in the schema (a postprocessing hook) ---------------------
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"  # what remains after trimming is not empty; no NUL
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# The last label is not all digits (tenants/validators.py); written without look-arounds.
_TOP = (
    r"(?:[A-Za-z]|[A-Za-z][A-Za-z0-9-]{0,61}[A-Za-z0-9]|[0-9][A-Za-z0-9-]{0,61}[A-Za-z]"
    r"|[0-9]{1,31}[A-Za-z-][A-Za-z0-9-]{0,30}[0-9])"
)
DOMAIN_PATTERN = rf"^\s*(?:{_LABEL}\.)+{_TOP}\.*\s*$"
DOMAIN_RULE = (
    "A domain name: two or more labels of letters, digits and inner hyphens (at most 63 "
    "characters each), the last not all digits; case and a trailing dot do not matter."
)


def _stack_rules(properties: dict, custom_hosts: list[str], creating: bool) -> dict:
    """The Proofpoint stack and URL rules; returns extra keywords for the request object."""
    from tenants.models import ProofpointStack

    stacks = [value for value in ProofpointStack.values if value != ProofpointStack.CUSTOM]
    urls = ("proofpoint_api_url", "proofpoint_portal_url")
    if not custom_hosts:
        properties["proofpoint_stack"] = {
            "type": "string",
            "enum": stacks,
            "description": "The Proofpoint Essentials stack. `custom` (white label) needs a host "
            "the operator lists in PROOFPOINT_CUSTOM_HOSTS; none are listed here.",
        }
        for name in urls:
            properties[name] = {
                "type": "string",
                "pattern": r"^\s*$",
                "maxLength": 200,
                "description": "Empty: no white-label hosts are configured.",
            }
        return {}
    hosts = "|".join(_host_pattern(host) for host in custom_hosts)
    url = rf"^\s*(?:https://(?:{hosts})(?:[/?#][A-Za-z0-9._~/?#=&%+-]*)?)?\s*$"
    for name in urls:
        properties[name] = {
            "type": "string",
            "maxLength": 200,
            "pattern": url,
            "description": f"White label only: an https:// URL on one of "
            f"{', '.join(custom_hosts)} (PROOFPOINT_CUSTOM_HOSTS). Changing it, or the "
            "stack, of an existing tenant is for managers (403 otherwise).",
        }
    if not creating:
        return {}
    return {
        "oneOf": [
            {"properties": {"proofpoint_stack": {"type": "string", "enum": stacks}}},
            {
                "properties": {
                    "proofpoint_stack": {"type": "string", "enum": [ProofpointStack.CUSTOM]},
                    **{name: {"type": "string", "minLength": 9} for name in urls},
                },
                "required": list(urls),
            },
        ]
    }


def _host_pattern(entry: str) -> str:
    import re

    host, _, port = entry.strip().lower().partition(":")
    escaped = "".join(f"[{c}{c.upper()}]" if c.isalpha() else re.escape(c) for c in host)
    return escaped + (f":{port}" if port and port != "443" else "")


def _tenant_rules(component: dict, creating: bool) -> None:
    from django.conf import settings

    properties = component["properties"]
    properties["name"]["pattern"] = NOT_BLANK
    properties["primary_domain"].update(pattern=DOMAIN_PATTERN, description=DOMAIN_RULE)
    properties["domains"]["items"]["pattern"] = DOMAIN_PATTERN
    properties["customer_admin_email"]["pattern"] = NO_NUL
    for name in ("customer_admin_name", "notes"):
        properties[name]["pattern"] = NO_NUL
    component.update(_stack_rules(properties, list(settings.PROOFPOINT_CUSTOM_HOSTS), creating))


def _selection_rules(schemas: dict) -> None:
    selection = schemas["ReportSelectionRequest"]
    properties = selection.pop("properties")
    selection["description"] = "Choose rows by `ids` or by `filter`: exactly one of them, not both."
    selection["oneOf"] = [
        {
            "type": "object",
            "properties": {"ids": properties["ids"]},
            "required": ["ids"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"filter": properties["filter"]},
            "required": ["filter"],
            "additionalProperties": False,
        },
    ]
    selection.pop("additionalProperties", None)
    schemas["ReportFilterRequest"]["properties"]["search"]["pattern"] = NOT_BLANK


def _query_rules(paths: dict) -> None:
    for operations in paths.values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") == "query" and schema.get("type") == "string":
                    schema.setdefault("pattern", NO_NUL)
                    schema["maxLength"] = min(schema.get("maxLength", 1000), 1000)
                    if "enum" in schema:
                        schema.pop("pattern", None)
                        schema["minLength"] = 1
            body = operation.get("requestBody", {})
            if any(ref in str(body) for ref in ("ReportSelectionRequest", "/TenantRequest")):
                body["required"] = True  # an empty body is refused (400)
            if operation.get("operationId") == "v1_onboardings_report_list":
                for parameter in operation.get("parameters", []):
                    if parameter["name"] == "search":
                        parameter["schema"]["maxLength"] = 200


def state_the_rules(result, generator, request, public):
    """drf-spectacular postprocessing hook: write into the schema what serializers and views
    check."""
    schemas = result.get("components", {}).get("schemas", {})
    for name, component in schemas.items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    if "TenantRequest" in schemas:
        _tenant_rules(schemas["TenantRequest"], creating=True)
    if "PatchedTenantRequest" in schemas:
        _tenant_rules(schemas["PatchedTenantRequest"], creating=False)
    if "ReportSelectionRequest" in schemas:
        _selection_rules(schemas)
    for name in ("DiscoverRequest", "DiscoverRequestRequest"):
        bring_in = schemas.get(name, {}).get("properties", {}).get("bring_in")
        if bring_in:
            bring_in["items"]["pattern"] = DOMAIN_PATTERN
    _query_rules(result.get("paths", {}))
    return result
