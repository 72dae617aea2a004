"""Admin endpoints under /_sandbox/ (served on every port) for tests and the demo.

GET  /_sandbox/state      everything that exists (secret key ids, never secret values)
POST /_sandbox/reset      rebuild the world from the scenario (also clears knobs and the request
log)
GET  /_sandbox/knobs      current knobs; POST merges {"global":{..},"tenants":{..},"fail_next":[..]}
POST /_sandbox/tenants    {"domain","users","seed"[,"name","domains","gcc_high","groups"]} → 201
POST /_sandbox/consent    {"tenant","app_id"?} grant admin consent without the page (app defaults to
the MSP's)
GET  /_sandbox/staff      the staff sign-in app (no secret) and its people with their app roles
POST /_sandbox/staff      {"user": upn|username|oid, "roles": ["Technician"|"Manager"]} sets roles
GET  /_sandbox/requests   {"counts":{"GET /v1.0/users":3,..},"by_service":{"graph":3,..},
                          "total","writes","recent":[..],
                          "in_flight","max_in_flight","max_in_flight_by_scope"};
                          ?service=&since=SEQ&writes=1 filter "recent"; DELETE clears all of it
                          (counts, entries and the in-flight peaks)
POST /_sandbox/break      {"tenant","what",..} break a live tenant (breaks.py)
GET  /_sandbox/dns        ?domain=D: D's records; else every override. POST {"domain",
                          "mx"|"txt"|"a"|"fail"|"route"[,"spf"]|"reset"} changes them (dns.py)
POST /_sandbox/child_orgs {"count",["states"|"mix"],"prefix","start","users":[lo,hi],
                          "list","with_apps"} → 201 (fleet.py)
"""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from . import breaks, dns
from .breaks import BreakError
from .catalog import ROLE_NAMES
from .common import iso
from .fleet import create_child_orgs
from .web import INVALID, json_response, read_json


def handle_admin(world, request: Request) -> Response:
    name = request.path.rstrip("/").removeprefix("/_sandbox/")
    handler = ROUTES.get((request.method, name))
    if handler is None:
        return json_response({"error": f"no admin route {request.method} /_sandbox/{name}"}, 404)
    body = request.args.to_dict() if request.method == "GET" else read_json(request)
    if body is INVALID or (body is not None and not isinstance(body, dict)):
        return json_response({"error": "body is not a JSON object"}, 400)
    try:
        return handler(world, body or {})
    except BreakError as error:
        return json_response({"error": str(error)}, error.status)
    except (ValueError, KeyError, TypeError) as error:
        return json_response({"error": str(error)}, 400)


def get_state(world, body) -> Response:
    with world.lock:
        return json_response(snapshot(world))


def reset(world, body) -> Response:
    world.reset()
    return json_response({"reset": True})


def get_knobs(world, body) -> Response:
    return json_response(world.knobs.snapshot())


def post_knobs(world, body) -> Response:
    world.knobs.update(body)
    return json_response(world.knobs.snapshot())


def post_tenant(world, body) -> Response:
    from .scenario import add_generated_tenant

    if not body.get("domain") and not body.get("domains"):
        raise ValueError("domain is required")
    if world.tenant(body.get("domain") or body["domains"][0]):
        return json_response({"error": "tenant exists"}, 409)
    tenant = add_generated_tenant(world, body)
    return json_response(tenant_summary(tenant), 201)


def post_consent(world, body) -> Response:
    from .identity import grant_admin_consent

    tenant = world.tenant(body["tenant"])
    if tenant is None:
        return json_response({"error": "unknown tenant"}, 404)
    granted = grant_admin_consent(world, tenant, body.get("app_id") or world.msp["app_id"])
    return json_response({"tenant": tenant.id, "granted": granted})


def get_staff(world, body) -> Response:
    from .signin import staff_summary

    with world.lock:
        return json_response(staff_summary(world))


def post_staff(world, body) -> Response:
    from .signin import set_roles

    roles = body["roles"]
    if not isinstance(roles, list):
        raise ValueError("roles must be a list")
    return json_response(set_roles(world, str(body["user"]), roles))


def get_requests(world, body) -> Response:
    since = int(body.get("since") or 0)
    writes = str(body.get("writes", "")).lower() in ("1", "true", "yes")
    return json_response(world.log.snapshot(body.get("service") or None, since, writes))


def post_break(world, body) -> Response:
    return json_response(breaks.apply(world, body))


def get_dns(world, body) -> Response:
    if body.get("domain"):
        found = dns.records(world, body["domain"])
        if found is None:
            return json_response({"error": f"unknown domain {body['domain']}"}, 404)
        return json_response(found)
    with world.lock:
        return json_response({"overrides": {k: dict(v) for k, v in world.dns.items()}})


def post_dns(world, body) -> Response:
    return json_response(dns.set_records(world, body.get("domain"), body))


def post_child_orgs(world, body) -> Response:
    return json_response(create_child_orgs(world, body), 201)


def clear_requests(world, body) -> Response:
    world.log.clear()
    return Response(status=204)


ROUTES = {
    ("GET", "state"): get_state,
    ("POST", "reset"): reset,
    ("GET", "knobs"): get_knobs,
    ("POST", "knobs"): post_knobs,
    ("POST", "tenants"): post_tenant,
    ("POST", "consent"): post_consent,
    ("GET", "staff"): get_staff,
    ("POST", "staff"): post_staff,
    ("GET", "requests"): get_requests,
    ("DELETE", "requests"): clear_requests,
    ("POST", "break"): post_break,
    ("GET", "dns"): get_dns,
    ("POST", "dns"): post_dns,
    ("POST", "child_orgs"): post_child_orgs,
}


# ---- the state snapshot -----------------------------------------------------------------------
def tenant_summary(tenant) -> dict:
    return {
        "id": tenant.id,
        "name": tenant.name,
        "gcc_high": tenant.gcc_high,
        "domains": [d["id"] for d in tenant.domains],
        "default_domain": tenant.default_domain,
        "users": tenant.directory.user_count,
        "groups": tenant.directory.group_count,
    }


def _visible(record) -> dict:
    return {"visible": record.visible()}


def tenant_snapshot(tenant) -> dict:
    graph_sp_id = tenant.graph_sp().data["id"]
    return {
        **tenant_summary(tenant),
        "applications": [
            {
                **{
                    k: r.data[k]
                    for k in ("id", "appId", "displayName", "uniqueName", "signInAudience")
                },
                "redirectUris": r.data["web"]["redirectUris"],
                "requiredResourceAccess": r.data["requiredResourceAccess"],
                "passwordCredentials": [
                    {
                        k: c[k]
                        for k in ("keyId", "displayName", "hint", "startDateTime", "endDateTime")
                    }
                    for c in r.data["passwordCredentials"]
                ],
                **_visible(r),
            }
            for r in tenant.apps.values()
        ],
        "servicePrincipals": [
            {**{k: r.data[k] for k in ("id", "appId", "displayName")}, **_visible(r)}
            for r in tenant.sps.values()
            if r.data["id"] != graph_sp_id
        ],
        "graphServicePrincipalId": graph_sp_id,
        "appRoleAssignments": [
            {**r.data, "appRoleName": ROLE_NAMES.get(r.data["appRoleId"]), **_visible(r)}
            for r in tenant.assignments.values()
        ],
        "oauth2PermissionGrants": [{**r.data, **_visible(r)} for r in tenant.grants.values()],
    }


def org_snapshot(org) -> dict:
    azure = dict(org.azure) if org.azure else None
    if (
        azure
    ):  # as saved, with the two timestamps Proofpoint shows (ISO 8601 here, whatever the knob)
        azure.update(
            ad_key="****",
            secret_expiry=_when(org.secret_expiry),
            last_successful_sync=_when(org.last_sync),
        )
    return {
        "primary_domain": org.primary_domain,
        "name": org.name,
        "type": org.type,
        "parent": org.parent,
        "eid": org.eid,
        "stack": org.stack,
        "user_licenses": org.user_licenses,
        "domains": list(org.domains.values()),
        "users": list(org.users.values()),
        "settings_azure": azure,
        "exemptions": list(org.exemptions),
        "sync": {
            "last_successful_sync": _when(org.last_sync),
            "next_sync_at": _when(org.sync_next_at),
            "secret_expiry": _when(org.secret_expiry),
            "error": org.sync_error,
        },
    }


def _when(value: float | None) -> str | None:
    return iso(value) if value is not None else None


def snapshot(world) -> dict:
    msp = {k: v for k, v in world.msp.items() if k != "secret"}
    return {
        "msp": msp,
        "tenants": [tenant_snapshot(t) for t in world.tenants.values()],
        "proofpoint": {
            "orgs": [org_snapshot(o) for o in world.orgs.values()],
            "api_users": sorted(world.pp_users),
        },
        "knobs": world.knobs.snapshot(),
    }
