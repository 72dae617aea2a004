"""What every Graph handler shares: the authenticated call, Graph's error shape, $select, $filter,
paging.

Error body (Graph docs "Microsoft Graph error responses and resource types"):
{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}, with the same
request-id in the `request-id` response header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from werkzeug.wrappers import Request, Response

from .common import b64url, b64url_decode, iso, random_guid
from .state import Tenant
from .tokens import TokenInvalid, verify
from .web import INVALID, HttpError, json_response, read_json

CONTENT_TYPE = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;"
    "charset=utf-8"
)
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
MAX_TOP = 999
DEFAULT_TOP = 100


def request_id(request: Request) -> str:
    """One request-id per call, shared by the header and any error body."""
    return request.environ.setdefault("sandbox.request_id", random_guid())


def graph_error(
    request: Request, status: int, code: str, message: str, headers: dict | None = None
) -> HttpError:
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": iso(),
                "request-id": request_id(request),
                "client-request-id": request.headers.get("client-request-id")
                or request_id(request),
            },
        }
    }
    return HttpError(json_response(body, status, headers, CONTENT_TYPE))


def not_found(request: Request, key: str) -> HttpError:
    return graph_error(
        request,
        404,
        "Request_ResourceNotFound",
        f"Resource '{key}' does not exist or one of its queried reference-property objects "
        "are not present.",
    )


def bad_request(request: Request, message: str, code: str = "Request_BadRequest") -> HttpError:
    return graph_error(request, 400, code, message)


@dataclass
class Call:
    """An authenticated Graph call: who (token claims) and where (tenant)."""

    world: object
    request: Request
    tenant: Tenant
    claims: dict

    @property
    def roles(self) -> set[str]:
        return set(self.claims.get("roles") or [])

    def require(self, allowed: tuple[str, ...] | None) -> None:
        if allowed and not self.roles & set(allowed):
            raise graph_error(
                self.request,
                403,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            )

    @property
    def base(self) -> str:
        return self.request.host_url.rstrip("/")

    def context(self, fragment: str) -> str:
        return f"{self.base}/v1.0/$metadata#{fragment}"

    def body(self) -> dict:
        body = read_json(self.request)
        if body is INVALID or (body is not None and not isinstance(body, dict)):
            raise bad_request(
                self.request,
                "Write requests (excluding DELETE) must contain the Content-Type header "
                "declaration and a valid JSON body.",
            )
        return body or {}


def authenticate(world, request: Request) -> Call:
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    try:
        claims = verify(world.signing_key, token)
    except TokenInvalid as error:
        raise graph_error(request, 401, "InvalidAuthenticationToken", str(error)) from None
    tenant = world.tenant(claims.get("tid", ""))
    if tenant is None or claims.get("sbx_gen") != world.generation:
        raise graph_error(
            request, 401, "InvalidAuthenticationToken", "Access token validation failure."
        )
    if claims.get("oid") not in tenant.sps:
        # Its service principal is gone (consent revoked, app deleted). Real Graph may honour such
        # a token until it expires; the sandbox refuses it at once, so a check right after a
        # revoke is deterministic.
        raise graph_error(
            request,
            401,
            "InvalidAuthenticationToken",
            "Access token validation failure. The service principal of this token "
            "no longer exists in the tenant.",
        )
    return Call(world, request, tenant, claims)


# ---- OData query options ------------------------------------------------------------------------
def selected(
    call: Call, allowed: set[str], default: list[str] | None, type_name: str
) -> list[str] | None:
    """The $select list (validated), the type's default select, or None for "every property"."""
    text = call.request.args.get("$select")
    if not text:
        return default
    fields = [f.strip() for f in text.split(",") if f.strip()]
    for field in fields:
        if field not in allowed:
            raise bad_request(
                call.request, f"Could not find a property named '{field}' on type '{type_name}'."
            )
    return fields


def project(data: dict, fields: list[str] | None) -> dict:
    return dict(data) if fields is None else {f: data.get(f) for f in fields}


def parse_filter(call: Call, allowed: set[str]) -> list[tuple[str, str]]:
    """`a eq 'x' and b eq 'y'` → [("a","x"),("b","y")]; anything else is an unsupported query."""
    text = call.request.args.get("$filter")
    if not text:
        return []
    clauses = []
    for part in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        m = re.fullmatch(r"\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*", part)
        if not m:
            raise bad_request(call.request, f"Invalid filter clause: {text}")
        if m.group(1) not in allowed:
            raise bad_request(
                call.request,
                "Unsupported or invalid query filter clause specified for property "
                f"'{m.group(1)}' of resource '{call.request.path.split('/')[2]}'.",
                "Request_UnsupportedQuery",
            )
        clauses.append((m.group(1), m.group(2).replace("''", "'")))
    return clauses


def matches(data: dict, clauses: list[tuple[str, str]]) -> bool:
    return all(str(data.get(k, "")).lower() == v.lower() for k, v in clauses)


def page_size(call: Call) -> int:
    if "$skip" in call.request.args:
        raise bad_request(call.request, "'$skip' is not supported by the service.")
    text = call.request.args.get("$top")
    if text is None:
        return DEFAULT_TOP
    try:
        top = int(text)
    except ValueError:
        top = -1
    if not 1 <= top <= MAX_TOP:
        raise bad_request(
            call.request,
            f"Invalid page size specified: '{text}'. Must be between 1 and 999 inclusive.",
            "Request_UnsupportedQuery",
        )
    return top


def _skiptoken(kind: str, tenant: Tenant, offset: int) -> str:
    return "RFNwdAIA" + b64url(f"{kind}:{tenant.id[:8]}:{offset}".encode())


def _offset(call: Call, kind: str) -> int:
    token = call.request.args.get("$skiptoken")
    if not token:
        return 0
    try:
        k, tid, offset = b64url_decode(token.removeprefix("RFNwdAIA")).decode().split(":")
        if k == kind and tid == call.tenant.id[:8] and int(offset) >= 0:
            return int(offset)
    except (ValueError, UnicodeDecodeError):
        pass
    raise bad_request(
        call.request,
        "The specified page token value has expired and can no longer be included in your request.",
        "Directory_ExpiredPageToken",
    )


def paged(
    call: Call, kind: str, total: int, fetch, fields: list[str] | None, extra: dict | None = None
) -> Response:
    """One page of a collection by index, with an absolute @odata.nextLink that repeats the
    query."""
    top = page_size(call)
    start = _offset(call, kind)
    stop = min(total, start + top)
    items = [project(item, fields) for item in fetch(start, stop)]
    fragment = (
        kind
        if fields is None or "$select" not in call.request.args
        else f"{kind}({','.join(fields)})"
    )
    body = {"@odata.context": call.context(fragment), **(extra or {})}
    if stop < total:
        args = [(k, v) for k, v in call.request.args.items(multi=True) if k != "$skiptoken"]
        args.append(("$skiptoken", _skiptoken(kind, call.tenant, stop)))
        query = "&".join(f"{k}={quote(v, safe=',$()=:/@')}" for k, v in args)
        body["@odata.nextLink"] = f"{call.base}{call.request.path}?{query}"
    body["value"] = items
    return graph_json(body)


def graph_json(data, status: int = 200, headers: dict | None = None) -> Response:
    return json_response(data, status, headers, CONTENT_TYPE)


def entity(
    call: Call, fragment: str, data: dict, fields: list[str] | None = None, status: int = 200
) -> Response:
    return graph_json({"@odata.context": call.context(fragment), **project(data, fields)}, status)


def no_content() -> Response:
    return Response(status=204)


def check_guid(call: Call, value: str) -> None:
    if not GUID.match(value or ""):
        raise bad_request(call.request, f"Invalid object identifier '{value}'.")
