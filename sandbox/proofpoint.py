"""Proofpoint Essentials API v1 emulator (/api/v1): orgs, domains, users, Azure sync settings,
exemptions.

Auth is the X-User / X-Password header pair (HTTP Basic is refused); X-correlator is echoed. The
channel
admin can address its partner org and every org under it. Error bodies vary between {"message"},
{"error"} and {"errors":[{status,error_message,identifier}]}, as the real API's do. Sources:
Proofpoint's
OpenAPI document (RBVI/ppeclient docs) and docs/domain.md section 4.
"""

from __future__ import annotations

import re

from werkzeug.wrappers import Request, Response

from .common import parse_iso
from .identity import IdentityError, issue_token
from .proofpoint_sync import azure_view, schedule_after_save
from .proofpoint_users import conflict, is_email, normalised_user, validate_user
from .scenario import new_org, pp_domain
from .web import INVALID, HttpError, Service, json_response, read_json, retry_after_header

P = "/api/v1"
PACKAGES = (
    "beginner",
    "business",
    "business_plus",
    "advanced",
    "advanced_plus",
    "professional",
    "professional_plus",
)
DOMAIN = re.compile(r"^(?=.{3,253}$)([a-z0-9-]+\.)+[a-z]{2,}$", re.IGNORECASE)
AZURE_BOOLEANS = (
    "sync_active_users",
    "sync_distribution_groups",
    "sync_security_groups",
    "add_users",
    "update_users",
    "remove_deleted_users",
    "add_groups",
    "update_groups",
    "remove_deleted_groups",
    "disable_login",
)
AZURE_FIELDS = (
    "primary_domain",
    "application_id",
    "ad_key",
    "default_user_role_name",
    "sync_frequency",
    *AZURE_BOOLEANS,
)
FREQUENCIES = (0, 1, 3, 6, 12, 24)


def message(status: int, text: str) -> HttpError:
    return HttpError(json_response({"message": text}, status))


def error(status: int, text: str) -> HttpError:
    return HttpError(json_response({"error": text}, status))


def errors(status: int, identifier: str, text: str) -> HttpError:
    return HttpError(
        json_response(
            {"errors": [{"status": status, "error_message": text, "identifier": identifier}]},
            status,
        )
    )


class ProofpointService(Service):
    name = "proofpoint"

    def register(self) -> None:
        add = self.router.add
        add("GET", f"{P}/me", self.me)
        add("GET", f"{P}/endpoints/{{domain}}", self.endpoint)
        add("GET", f"{P}/orgs/{{org}}", self.get_org)
        add("GET", f"{P}/orgs/{{org}}/orgs", self.list_orgs)
        add("POST", f"{P}/orgs/{{org}}/orgs", self.create_org)
        add("GET", f"{P}/orgs/{{org}}/domains", self.list_domains)
        add("POST", f"{P}/orgs/{{org}}/domains", self.create_domain)
        add("GET", f"{P}/orgs/{{org}}/domains/{{domain}}", self.get_domain)
        add("PUT", f"{P}/orgs/{{org}}/domains/{{domain}}", self.put_domain)
        add("DELETE", f"{P}/orgs/{{org}}/domains/{{domain}}", self.delete_domain)
        add("GET", f"{P}/orgs/{{org}}/users", self.list_users)
        add("POST", f"{P}/orgs/{{org}}/users", self.create_users)
        add("GET", f"{P}/orgs/{{org}}/users/{{email}}", self.get_user)
        add("PUT", f"{P}/orgs/{{org}}/users/{{email}}", self.put_user)
        add("DELETE", f"{P}/orgs/{{org}}/users/{{email}}", self.delete_user)
        add("GET", f"{P}/orgs/{{org}}/settings/azure", self.get_azure)
        add("PUT", f"{P}/orgs/{{org}}/settings/azure", self.put_azure)
        add("DELETE", f"{P}/orgs/{{org}}/settings/azure", self.delete_azure)
        add("GET", f"{P}/orgs/{{org}}/settings/azure/exemptions", self.get_exemptions)
        add("PUT", f"{P}/orgs/{{org}}/settings/azure/exemptions", self.put_exemptions)
        add("DELETE", f"{P}/orgs/{{org}}/settings/azure/exemptions", self.delete_exemptions)
        add(
            "DELETE", f"{P}/orgs/{{org}}/settings/azure/exemptions/{{email}}", self.delete_exemption
        )

    # ---- framework hooks ------------------------------------------------------------------------
    def dispatch(self, request: Request) -> Response:
        """Authenticate before routing faults, so a bad password is a 401 even under throttling."""
        user = (request.headers.get("X-User") or "").lower()
        account = self.world.pp_users.get(user)
        if account is None or request.headers.get("X-Password") != account["password"]:
            response = self.finish(request, json_response({"message": "Invalid credentials"}, 401))
            self.world.log.record(self.name, request.method, "(unauthenticated)", 401, request.path)
            return response
        request.environ["sandbox.pp_user"] = (user, account)
        return super().dispatch(request)

    def scope(self, request: Request, params: dict, keys: tuple[str, ...]) -> str | None:
        """In-flight calls count per partner: the API user's org (a channel admin's partner org)."""
        return request.environ["sandbox.pp_user"][1]["org"]

    def tenant_keys(self, request: Request, params: dict) -> tuple[str, ...]:
        key = params.get("org") or params.get("domain") or ""
        tenant = self.world.tenant(key)
        return self.world.tenant_keys(tenant) if tenant else ((key,) if key else ())

    def unmatched(self, request: Request, status: int) -> Response:
        return json_response(
            {"message": "Not Found" if status == 404 else "Method Not Allowed"}, status
        )

    def fault(self, request: Request, fault) -> Response:
        body = (
            fault.body
            if fault.body is not None
            else (
                {"message": "Too Many Requests"}
                if fault.status == 429
                else {"error": "Service Unavailable"}
            )
        )
        return json_response(body, fault.status, retry_after_header(fault.retry_after))

    def finish(self, request: Request, response: Response) -> Response:
        correlator = request.headers.get("X-correlator")
        if correlator:
            response.headers["X-correlator"] = correlator
        return response

    # ---- helpers --------------------------------------------------------------------------------
    def _org(self, request: Request, domain: str):
        """The org, if it exists and the API user may address it (its own org or one under it)."""
        org = self.world.orgs.get(domain.lower())
        if org is None:
            raise error(404, f"Organization {domain} not found")
        home = request.environ["sandbox.pp_user"][1]["org"]
        if org.primary_domain != home and org.parent != home:
            raise message(403, "You are not authorized to access this organization")
        return org

    def _json(self, request: Request, kind=dict):
        body = read_json(request)
        if body is INVALID or not isinstance(body, kind):
            raise errors(422, "body", "The request body must be valid JSON.")
        return body

    # ---- me / endpoints / orgs ------------------------------------------------------------------
    def me(self, request: Request) -> Response:
        email, account = request.environ["sandbox.pp_user"]
        org = self.world.orgs[account["org"]]
        return json_response(
            {
                "user_id": org.eid * 10 + 1,
                "firstname": account["firstname"],
                "surname": account["surname"],
                "primary_email": email,
                "type": account["type"],
                "is_admin": True,
                "is_partner_admin": True,
                "entity_id": org.eid,
                "entity_primary_domain": org.primary_domain,
                "entity_type": org.type,
                "read_only_user": False,
            }
        )

    def endpoint(self, request: Request, domain: str) -> Response:
        org = self.world.orgs.get(domain.lower()) or next(
            (o for o in self.world.orgs.values() if domain.lower() in o.domains), None
        )
        if org is None:
            raise message(404, f"No endpoint found for domain {domain}")
        url = f"https://{org.stack}.proofpointessentials.com"
        return json_response(
            {"domain": domain.lower(), "stack": org.stack, "endpoint": url, "url": url}
        )

    def org_json(self, org) -> dict:
        return {
            "eid": org.eid,
            "name": org.name,
            "primary_domain": org.primary_domain,
            "type": org.type,
            "parent_primary_domain": org.parent,
            "user_licenses": org.user_licenses,
            "licensing_package": org.licensing_package,
            "country": org.country,
            "stateprov": org.stateprov,
            "is_active": True,
            "active_users": org.active_users,
            "domains": list(org.domains.values()),
            "created": org.created,
        }

    def get_org(self, request: Request, org: str) -> Response:
        return json_response(self.org_json(self._org(request, org)))

    def list_orgs(self, request: Request, org: str) -> Response:
        """The child orgs. The documented answer is {"orgs":[..]}, all at once. Paging is a guess
        (the 2026 spec pages stats calls with page/page_size): with `page_size` (or the knob
        proofpoint_orgs_page_size) one page, 1-based `page`, and `total`, `page`, `page_size`,
        `next_page` (null on the last)."""
        partner = self._org(request, org)
        with self.world.lock:
            children = [o for o in self.world.orgs.values() if o.parent == partner.primary_domain]
        size = request.args.get("page_size") or self.world.knobs.get("proofpoint_orgs_page_size")
        if size is None and "page" not in request.args:
            return json_response({"orgs": [self.org_json(o) for o in children]})
        try:
            size = int(size or 100)
            page = int(request.args.get("page", 1))
        except ValueError:
            raise errors(422, "page", "The page and page_size must be whole numbers.") from None
        if size < 1 or size > 1000 or page < 1:
            raise errors(422, "page", "The page must be 1 or more, the page_size 1 to 1000.")
        chunk = children[(page - 1) * size : page * size]
        more = page * size < len(children)
        return json_response(
            {
                "orgs": [self.org_json(o) for o in chunk],
                "total": len(children),
                "page": page,
                "page_size": size,
                "next_page": page + 1 if more else None,
            }
        )

    def create_org(self, request: Request, org: str) -> Response:
        partner = self._org(request, org)
        if partner.type != "partner":
            raise message(403, "Only partner organizations can create organizations")
        body = self._json(request)
        self._validate_org(body)
        with self.world.lock:
            names = [body["primary_domain"].lower(), *(d["name"].lower() for d in body["domains"])]
            taken = [
                n
                for n in names
                if n in self.world.orgs or any(n in o.domains for o in self.world.orgs.values())
            ]
            if taken:
                raise message(409, f"Organization or domain {taken[0]} already exists")
            domains = [*dict.fromkeys(names)]
            created = new_org(
                self.world, {**body, "domains": domains}, "organization", partner.primary_domain
            )
            admin = body["admin_user"]
            created.users[admin["primary_email"].lower()] = normalised_user(
                created, {**admin, "type": "organization_admin"}
            )
        return json_response(self.org_json(created), 201)

    def _validate_org(self, body: dict) -> None:
        def bad(field, text):
            raise errors(422, field, text)

        if not isinstance(body.get("primary_domain"), str) or not DOMAIN.match(
            body["primary_domain"]
        ):
            bad("primary_domain", "The primary_domain field is required and must be a domain name.")
        if not isinstance(body.get("name"), str) or not body["name"].strip():
            bad("name", "The name field is required.")
        admin = body.get("admin_user")
        if not isinstance(admin, dict) or not is_email(admin.get("primary_email")):
            bad(
                "admin_user",
                "The admin_user.primary_email field is required and must be an email address.",
            )
        domains = body.get("domains")
        if (
            not isinstance(domains, list)
            or not domains
            or not all(
                isinstance(d, dict) and isinstance(d.get("name"), str) and DOMAIN.match(d["name"])
                for d in domains
            )
        ):
            bad("domains", "The domains field is required: a list of objects with a name.")
        if type(body.get("user_licenses")) is not int or body["user_licenses"] < 0:
            bad("user_licenses", "The user_licenses field is required and must be an integer.")
        if body.get("licensing_package") not in (None, *PACKAGES):
            bad(
                "licensing_package", f"The licensing_package must be one of: {', '.join(PACKAGES)}."
            )
        if body.get("country") is not None and not re.fullmatch(
            r"[A-Za-z]{2}", str(body["country"])
        ):
            bad("country", "The country must be a 2-letter code.")
        if body.get("type") not in (None, "organization"):
            bad("type", "The type must be organization.")
        admin_domain = admin["primary_email"].split("@", 1)[1].lower()
        if admin_domain not in {
            body["primary_domain"].lower(),
            *(d["name"].lower() for d in domains),
        }:
            bad(
                "admin_user",
                "The admin_user's email must belong to one of the organization's domains.",
            )

    # ---- domains --------------------------------------------------------------------------------
    def list_domains(self, request: Request, org: str) -> Response:
        return json_response({"domains": list(self._org(request, org).domains.values())})

    def _domain(self, request: Request, org: str, domain: str):
        found = self._org(request, org)
        if domain.lower() not in found.domains:
            raise error(404, f"Domain {domain} not found")
        return found, found.domains[domain.lower()]

    def create_domain(self, request: Request, org: str) -> Response:
        found = self._org(request, org)
        body = self._json(request)
        name = body.get("name")
        if not isinstance(name, str) or not DOMAIN.match(name):
            raise errors(422, "name", "The name field is required and must be a domain name.")
        self._validate_domain_fields(body)
        with self.world.lock:
            if any(name.lower() in o.domains for o in self.world.orgs.values()):
                raise message(409, f"Domain {name} already exists")
            found.domains[name.lower()] = pp_domain(name, body)
        return json_response(found.domains[name.lower()], 201)

    def _validate_domain_fields(self, body: dict) -> None:
        for field in ("is_active", "is_relay"):
            if field in body and not isinstance(body[field], bool):
                raise errors(422, field, f"The {field} field must be true or false.")
        if body.get("destination") is not None and not isinstance(body["destination"], str):
            raise errors(422, "destination", "The destination must be a host name.")
        if "failovers" in body and not isinstance(body["failovers"], list):
            raise errors(422, "failovers", "The failovers field must be a list.")

    def get_domain(self, request: Request, org: str, domain: str) -> Response:
        return json_response(self._domain(request, org, domain)[1])

    def put_domain(self, request: Request, org: str, domain: str) -> Response:
        _, current = self._domain(request, org, domain)
        body = self._json(request)
        self._validate_domain_fields(body)
        with self.world.lock:
            for field in ("is_active", "is_relay", "destination", "failovers"):
                if field in body:
                    current[field] = body[field]
        return Response(status=204)

    def delete_domain(self, request: Request, org: str, domain: str) -> Response:
        found, _ = self._domain(request, org, domain)
        if domain.lower() == found.primary_domain:
            raise message(400, "The primary domain of an organization cannot be deleted")
        with self.world.lock:
            del found.domains[domain.lower()]
        return Response(status=204)

    # ---- users ----------------------------------------------------------------------------------
    def list_users(self, request: Request, org: str) -> Response:
        return json_response({"users": list(self._org(request, org).users.values())})

    def _create_one(self, org, body) -> tuple[int, dict]:
        """(status, user or error item) for one user of a POST."""
        problem = validate_user(org, body)
        if problem:
            return 422, {"status": 422, "error_message": problem[1], "identifier": problem[0]}
        user = normalised_user(org, body)
        clash = conflict(self.world, org, user) or self._injected_failure(
            org, user["primary_email"]
        )
        if clash:
            return 409, {"status": 409, "error_message": clash, "identifier": user["primary_email"]}
        org.users[user["primary_email"]] = user
        return 201, user

    def _injected_failure(self, org, email: str) -> str | None:
        keys = self.world.tenant_keys(self.world.tenant(org.primary_domain)) or (
            org.primary_domain,
        )
        knobs = self.world.knobs
        if email in [e.lower() for e in knobs.get("proofpoint_fail_emails", keys)] or knobs.chance(
            float(knobs.get("proofpoint_fail_rate", keys) or 0)
        ):
            return f"The email address {email} is in use by another organization."
        return None

    def create_users(self, request: Request, org: str) -> Response:
        found = self._org(request, org)
        body = read_json(request)
        if isinstance(body, dict):
            with self.world.lock:
                status, result = self._create_one(found, body)
            if status == 201:
                return json_response(result, 201)
            if status == 409:
                raise error(409, result["error_message"])
            raise HttpError(json_response({"errors": [result]}, status))
        if not isinstance(body, list) or not body:
            raise errors(
                422, "body", "The request body must be a user object or a non-empty list of users."
            )
        created, failed = [], []
        with self.world.lock:
            for item in body:
                status, result = self._create_one(found, item)
                (created if status == 201 else failed).append(result)
        return json_response({"users": created, "errors": failed}, 207 if failed else 201)

    def _user(self, request: Request, org: str, email: str):
        found = self._org(request, org)
        user = found.users.get(email.lower())
        if user is None:
            raise error(404, f"User {email} not found")
        return found, user

    def get_user(self, request: Request, org: str, email: str) -> Response:
        return json_response(self._user(request, org, email)[1])

    def put_user(self, request: Request, org: str, email: str) -> Response:
        found, user = self._user(request, org, email)
        body = self._json(request)
        problem = validate_user(found, body, creating=False)
        if problem:
            raise errors(422, problem[0], problem[1])
        with self.world.lock:
            changes = {
                k: v
                for k, v in body.items()
                if k
                in (
                    "firstname",
                    "surname",
                    "uid",
                    "type",
                    "is_active",
                    "is_billable",
                    "alias_emails",
                )
            }
            if "alias_emails" in changes:
                changes["alias_emails"] = [a.lower() for a in changes["alias_emails"]]
            clash = conflict(self.world, found, {**user, **changes}, ignore=user["primary_email"])
            if clash:
                raise message(409, clash)
            user.update(changes)
        return Response(status=204)

    def delete_user(self, request: Request, org: str, email: str) -> Response:
        found, user = self._user(request, org, email)
        with self.world.lock:
            del found.users[user["primary_email"]]
        return Response(status=204)

    # ---- Azure sync settings --------------------------------------------------------------------
    def get_azure(self, request: Request, org: str) -> Response:
        found = self._org(request, org)
        with self.world.lock:
            if found.azure is None:
                raise message(404, "Azure AD settings are not configured for this organization")
            return json_response(azure_view(self.world, found))

    def put_azure(self, request: Request, org: str) -> Response:
        found = self._org(request, org)
        body = self._json(request)
        self._validate_azure(body)
        expiry = self._verify_azure(body)
        with self.world.lock:
            found.azure = {f: body[f] for f in AZURE_FIELDS}
            end = parse_iso(expiry) if expiry else None
            found.secret_expiry = end.timestamp() if end else None
            schedule_after_save(self.world, found)
        return Response(status=204)

    def _validate_azure(self, body: dict) -> None:
        for field in AZURE_FIELDS:
            if field not in body or body[field] is None or body[field] == "":
                raise errors(422, field, f"The {field} field is required.")
        for field in ("primary_domain", "application_id", "ad_key"):
            if not isinstance(body[field], str):
                raise errors(422, field, f"The {field} field must be a string.")
        if body["default_user_role_name"] not in ("end_user", "silent_user"):
            raise errors(
                422,
                "default_user_role_name",
                "The default_user_role_name must be end_user or silent_user.",
            )
        if type(body["sync_frequency"]) is not int or body["sync_frequency"] not in FREQUENCIES:
            raise errors(
                422, "sync_frequency", "The sync_frequency must be one of 0, 1, 3, 6, 12, 24."
            )
        for field in AZURE_BOOLEANS:
            if not isinstance(body[field], bool):
                raise errors(422, field, f"The {field} field must be true or false.")

    def _verify_azure(self, body: dict) -> str | None:
        """What Proofpoint's save does: get a token with these credentials and check
        Directory.Read.All."""
        tenant = self.world.tenant(body["primary_domain"])
        if tenant is None:
            raise message(
                400,
                f"Unable to validate Azure AD settings: no Azure AD tenant found for domain "
                f"{body['primary_domain']}.",
            )
        form = {
            "grant_type": "client_credentials",
            "client_id": body["application_id"],
            "client_secret": body["ad_key"],
            "scope": "https://graph.microsoft.com/.default",
        }
        try:
            token = issue_token(self.world, tenant.id, form)
        except IdentityError as failure:
            raise message(
                400,
                f"Unable to connect to Azure AD with the given application id and key: {failure}",
            ) from None
        from .tokens import unverified_claims

        if "Directory.Read.All" not in unverified_claims(token["access_token"]).get("roles", []):
            raise message(
                400,
                "The application does not have the Directory.Read.All permission with admin "
                "consent in the Azure AD tenant.",
            )
        return self._secret_expiry(body["application_id"], body["ad_key"])

    def _secret_expiry(self, app_id: str, secret: str) -> str | None:
        _, app = self.world.find_app(app_id)
        for credential in app.data["passwordCredentials"] if app else []:
            if app.secrets.get(credential["keyId"], (None,))[0] == secret:
                return credential["endDateTime"]
        return None

    def delete_azure(self, request: Request, org: str) -> Response:
        found = self._org(request, org)
        with self.world.lock:
            found.azure = None  # "further sync will not occur"; last_successful_sync is kept
            found.sync_next_at = None
        return Response(status=204)

    # ---- exemptions -----------------------------------------------------------------------------
    def get_exemptions(self, request: Request, org: str) -> Response:
        return json_response([{"email": e} for e in self._org(request, org).exemptions])

    def put_exemptions(self, request: Request, org: str) -> Response:
        found = self._org(request, org)
        body = read_json(request)
        if isinstance(body, str):
            body = [e.strip() for e in body.split(",") if e.strip()]
        if not isinstance(body, list) or not all(is_email(e) for e in body):
            raise errors(422, "emails", "The body must be a list of email addresses.")
        with self.world.lock:
            for email in body:
                if email.lower() not in found.exemptions:
                    found.exemptions.append(email.lower())
        return Response(status=204)

    def delete_exemptions(self, request: Request, org: str) -> Response:
        found = self._org(request, org)
        with self.world.lock:
            found.exemptions.clear()
        return Response(status=204)

    def delete_exemption(self, request: Request, org: str, email: str) -> Response:
        found = self._org(request, org)
        with self.world.lock:
            if email.lower() not in found.exemptions:
                raise error(404, f"Exemption {email} not found")
            found.exemptions.remove(email.lower())
        return Response(status=204)
