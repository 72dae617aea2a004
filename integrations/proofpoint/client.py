"""Proofpoint Essentials API v1 client (domain.md §4).

Auth is two headers on every request, X-User and X-Password (not HTTP Basic). Each request carries
a fresh X-correlator, which Proofpoint echoes and our logs show, to match lines on both sides.
Proofpoint documents no rate limit, so calls for one org are serialized (a per-org lock) and 429/5xx
are backed off by http.send.

Endpoint reference: the Proofpoint Essentials API v1 OpenAPI document
(https://us1.proofpointessentials.com/api/v1/docs/specification), mirrored in RBVI/ppeclient `docs`.
"""

from __future__ import annotations

import threading
import uuid
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from urllib.parse import quote

import requests

from integrations.errors import (
    AlreadyExists,
    IntegrationError,
    NotFound,
    PermanentError,
    ProofpointAuthFailed,
    ProofpointRejected,
    TransientError,
)
from integrations.http import OutboundConfig, request_id_of, send
from integrations.proofpoint.results import (
    BatchResult,
    error_items,
    error_text,
    parse_batch,
    parse_timestamp,
)

__all__ = [
    "AZURE_SETTINGS_FIELDS",
    "BatchResult",
    "ProofpointClient",
    "base_url_for_stack",
    "parse_timestamp",
]

SERVICE = "Proofpoint Essentials"
AZURE_SETTINGS_FIELDS = (
    "primary_domain",
    "application_id",
    "ad_key",
    "default_user_role_name",
    "sync_frequency",
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
SYNC_FREQUENCIES = (0, 1, 3, 6, 12, 24)  # hours; 0 = "Never"
DEFAULT_ROLES = ("end_user", "silent_user")

# Weak values: a lock lives while a call holds it, so 2,000 orgs read once leave nothing behind.
_org_locks: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_org_locks_guard = threading.Lock()


def base_url_for_stack(stack: str, override: str | None = None) -> str:
    """The API base for a stack (us1..us5, eu1, ...), unless configuration names one base for
    all."""
    if override:
        return override.rstrip("/")
    stack = stack.strip().lower()
    if not stack.isalnum():
        raise ValueError(f"'{stack}' is not a Proofpoint stack name (e.g. us1, eu1)")
    return f"https://{stack}.proofpointessentials.com/api/v1"


def _segment(value: str) -> str:
    """One path segment (a domain or an address), escaped so it cannot change the path."""
    return quote(value.strip(), safe="@")


def _org_lock(base_url: str, org: str) -> threading.RLock:
    key = (base_url, org.lower())
    with _org_locks_guard:
        return _org_locks.setdefault(key, threading.RLock())


class ProofpointClient:
    """Calls to one Proofpoint Essentials stack as the channel-admin API user."""

    def __init__(
        self,
        base_url: str,
        user: str,
        password: str,
        session: requests.Session,
        config: OutboundConfig,
    ):
        self.base_url = base_url.rstrip("/")
        self.user = user
        self._password = password  # never logged, never in an error message
        self.session = session
        self.config = config

    def __repr__(self) -> str:
        return f"ProofpointClient(base_url={self.base_url!r}, user={self.user!r})"

    # --- plumbing ------------------------------------------------------------------------------

    def _request(
        self, method: str, path: str, *, doing: str, org: str | None = None, ok=(200,), **kwargs
    ) -> requests.Response:
        """One call: auth headers, a new X-correlator, the org's lock, retries, typed errors."""
        headers = {
            "X-User": self.user,
            "X-Password": self._password,
            "Accept": "application/json",
            "X-correlator": str(uuid.uuid4()),
        }
        lock: AbstractContextManager = _org_lock(self.base_url, org) if org else nullcontext()
        with lock:
            response = send(
                self.session,
                method,
                f"{self.base_url}{path}",
                config=self.config,
                service=SERVICE,
                headers=headers,
                describe_error=_describe,
                **kwargs,
            )
        if response.status_code not in ok:
            raise proofpoint_error(response, doing, self.user)
        return response

    def _json(self, method: str, path: str, **kwargs):
        response = self._request(method, path, **kwargs)
        return response.json() if response.content else None

    def _optional(self, path: str, *, doing: str, org: str):
        """GET that answers None for 404 (never set up, or gone)."""
        try:
            return self._json("GET", path, doing=doing, org=org)
        except NotFound:
            return None

    def _delete(self, path: str, *, doing: str, org: str) -> bool:
        """DELETE that treats 404 as done (idempotent); True if something was deleted."""
        try:
            self._request("DELETE", path, doing=doing, org=org, ok=(200, 202, 204))
        except NotFound:
            return False
        return True

    # --- who and where --------------------------------------------------------------------------

    # GET /me (Proofpoint Essentials API v1, "Me")
    def me(self) -> dict:
        """Who the credentials belong to; the cheapest connectivity check."""
        return self._json("GET", "/me", doing="Checking the Proofpoint API user")

    # GET /endpoints/{domain} (Proofpoint Essentials API v1, "Endpoints")
    def endpoint(self, domain: str) -> dict:
        """Which stack an org lives on (answers on any stack)."""
        return self._json(
            "GET", f"/endpoints/{_segment(domain)}", doing=f"Finding the stack of {domain}"
        )

    # --- orgs and domains -----------------------------------------------------------------------

    # GET /orgs/{domain} (Proofpoint Essentials API v1, "Organizations")
    def get_org(self, domain: str) -> dict | None:
        """The org whose primary domain this is, or None."""
        return self._optional(
            f"/orgs/{_segment(domain)}", doing=f"Reading the org {domain}", org=domain
        )

    # GET /orgs/{partner}/orgs (Proofpoint Essentials API v1, "Organizations")
    def list_child_orgs(self, partner: str) -> list[dict]:
        """Customer orgs under the partner org."""
        body = self._json(
            "GET", f"/orgs/{_segment(partner)}/orgs", doing="Listing customer orgs", org=partner
        )
        return _items(body, "orgs")

    def iter_child_org_pages(self, partner: str, page_size: int = 200) -> Iterator[list[dict]]:
        """The customer orgs a page at a time, so 2,000 orgs never sit in memory at once.

        Paging is not documented (the list is one `{"orgs":[..]}`); `page`/`page_size` are sent and
        followed while the answer names a `next_page`, and an answer without paging is the whole
        list.
        """
        page: int | None = 1
        while page is not None:
            body = self._json(
                "GET",
                f"/orgs/{_segment(partner)}/orgs",
                doing="Listing customer orgs",
                org=partner,
                params={"page": page, "page_size": page_size},
            )
            items = _items(body, "orgs")
            following = body.get("next_page") if isinstance(body, dict) else None
            del body  # one page in memory at a time, not two while the next is read
            page = following if isinstance(following, int) and following > page else None
            yield items
            del items

    # POST /orgs/{partner}/orgs (Proofpoint Essentials API v1, "Organizations")
    def create_org(self, partner: str, body: dict) -> dict:
        """Create a customer org under the partner; an existing one (409) is read and returned."""
        domain = body["primary_domain"]
        try:
            created = self._json(
                "POST",
                f"/orgs/{_segment(partner)}/orgs",
                doing=f"Creating the org {domain}",
                org=domain,
                ok=(200, 201),
                json=body,
            )
        except AlreadyExists:
            created = None
        return created or self.get_org(domain) or {}

    # GET /orgs/{org}/domains (Proofpoint Essentials API v1, "Domains")
    def list_domains(self, org: str) -> list[dict]:
        """The org's domains: {name, is_active, is_relay, destination, failovers}."""
        return _items(
            self._json("GET", f"/orgs/{_segment(org)}/domains", doing="Listing domains", org=org),
            "domains",
        )

    # POST /orgs/{org}/domains (Proofpoint Essentials API v1, "Domains")
    def add_domain(self, org: str, name: str, destination: str) -> bool:
        """Add a domain delivering to `destination` (M365: {tenant}.mail.protection.outlook.com).

        False when it exists already (409).
        """
        body = {"name": name, "destination": destination, "is_active": True, "is_relay": False}
        try:
            self._request(
                "POST",
                f"/orgs/{_segment(org)}/domains",
                doing=f"Adding the domain {name}",
                org=org,
                ok=(200, 201),
                json=body,
            )
        except AlreadyExists:
            return False
        return True

    # --- users -----------------------------------------------------------------------------------

    # GET /orgs/{org}/users (Proofpoint Essentials API v1, "Users"; no paging)
    def list_users(self, org: str) -> list[dict]:
        """Every account of the org."""
        return _items(
            self._json("GET", f"/orgs/{_segment(org)}/users", doing="Listing users", org=org),
            "users",
        )

    # POST /orgs/{org}/users with a JSON list (Proofpoint Essentials API v1, "Users"; 201 or 207)
    def create_users(self, org: str, users: list[dict]) -> BatchResult:
        """Create accounts in one call; per-address outcome (created / existing / failed)."""
        if not users:
            return BatchResult()
        path = f"/orgs/{_segment(org)}/users"
        response = self._request(
            "POST", path, doing="Creating users", org=org, ok=(200, 201, 207, 409), json=users
        )
        body = response.json() if response.content else None
        if response.status_code == 409 and not error_items(response):
            return self._create_one_by_one(org, users)  # which one exists is not said: ask per user
        if response.status_code in (200, 201) and not body:
            return BatchResult(created=list(users))
        return parse_batch(body, users)

    def _create_one_by_one(self, org: str, users: list[dict]) -> BatchResult:
        result = BatchResult()
        for user in users:
            email = user["primary_email"]
            try:
                self._request(
                    "POST",
                    f"/orgs/{_segment(org)}/users",
                    doing=f"Creating {email}",
                    org=org,
                    ok=(200, 201),
                    json=user,
                )
                result.created.append(user)
            except AlreadyExists:
                result.existing.append(email.lower())
            except PermanentError as error:
                result.failed.append((email.lower(), error.status, error.message))
        return result

    # PUT /orgs/{org}/users/{email} (Proofpoint Essentials API v1, "Users"; 204)
    def update_user(self, org: str, email: str, body: dict) -> None:
        """Change an account (type, names, aliases, is_active...)."""
        self._request(
            "PUT",
            f"/orgs/{_segment(org)}/users/{_segment(email)}",
            doing=f"Updating {email}",
            org=org,
            ok=(200, 204),
            json=body,
        )

    # DELETE /orgs/{org}/users/{email} (Proofpoint Essentials API v1, "Users"; 204)
    def delete_user(self, org: str, email: str) -> bool:
        """Delete an account; False if it was already gone."""
        return self._delete(
            f"/orgs/{_segment(org)}/users/{_segment(email)}", doing=f"Deleting {email}", org=org
        )

    # --- Azure sync settings ---------------------------------------------------------------------

    # GET /orgs/{org}/settings/azure (Proofpoint Essentials API v1, "Azure AD sync")
    def get_azure_settings(self, org: str) -> dict | None:
        """The org's Azure sync settings (`ad_key` masked), or None if never set up."""
        return self._optional(
            f"/orgs/{_segment(org)}/settings/azure",
            doing="Reading the Azure sync settings",
            org=org,
        )

    # PUT /orgs/{org}/settings/azure (Proofpoint Essentials API v1, "Azure AD sync"; 204)
    def put_azure_settings(self, org: str, settings: dict) -> None:
        """Save all 15 settings; `ad_key` must be the real secret (GET only shows ****)."""
        check_azure_settings(settings)
        body = {name: settings[name] for name in AZURE_SETTINGS_FIELDS}
        self._request(
            "PUT",
            f"/orgs/{_segment(org)}/settings/azure",
            doing="Saving the Azure sync settings",
            org=org,
            ok=(200, 201, 204),
            json=body,
        )

    # DELETE /orgs/{org}/settings/azure (Proofpoint Essentials API v1, "Azure AD sync"; 204)
    def delete_azure_settings(self, org: str) -> bool:
        """Remove the Azure sync settings; False if there were none."""
        return self._delete(
            f"/orgs/{_segment(org)}/settings/azure",
            doing="Removing the Azure sync settings",
            org=org,
        )

    # GET /orgs/{org}/settings/azure/exemptions (Proofpoint Essentials API v1, "Azure AD sync")
    def list_exemptions(self, org: str) -> list[str]:
        """Addresses the sync leaves alone."""
        body = self._optional(
            f"/orgs/{_segment(org)}/settings/azure/exemptions",
            doing="Reading the sync exemptions",
            org=org,
        )
        items = _items(body, "exemptions")
        return [str(i.get("email", "")) if isinstance(i, dict) else str(i) for i in items]

    # PUT /orgs/{org}/settings/azure/exemptions (Proofpoint Essentials API v1, "Azure AD sync")
    def add_exemptions(self, org: str, emails: list[str]) -> None:
        """Exempt addresses from the sync (the spec's "list of emails": a JSON list of strings)."""
        if emails:
            self._request(
                "PUT",
                f"/orgs/{_segment(org)}/settings/azure/exemptions",
                doing="Exempting accounts from the sync",
                org=org,
                ok=(200, 201, 204),
                json=list(emails),
            )

    # DELETE /orgs/{org}/settings/azure/exemptions/{email} (Proofpoint Essentials API v1)
    def remove_exemption(self, org: str, email: str) -> bool:
        """Let the sync manage an address again; False if it was not exempt."""
        return self._delete(
            f"/orgs/{_segment(org)}/settings/azure/exemptions/{_segment(email)}",
            doing=f"Removing the exemption of {email}",
            org=org,
        )


def check_azure_settings(settings: dict) -> None:
    """Refuse settings Proofpoint would reject, or a masked secret that would overwrite the real
    one."""
    missing = [name for name in AZURE_SETTINGS_FIELDS if name not in settings]
    if missing:
        raise ValueError(f"Azure sync settings need all 15 fields; missing: {', '.join(missing)}")
    if settings["sync_frequency"] not in SYNC_FREQUENCIES:
        raise ValueError(f"sync_frequency must be one of {SYNC_FREQUENCIES} (hours)")
    if settings["default_user_role_name"] not in DEFAULT_ROLES:
        raise ValueError(f"default_user_role_name must be one of {DEFAULT_ROLES}")
    if not settings["ad_key"] or set(str(settings["ad_key"])) == {"*"}:
        raise ValueError("ad_key must be the real client secret, not the masked value GET returns")


def _items(body, key: str) -> list:
    """The list in `{key: [...]}` or a bare list; anything else is empty."""
    if isinstance(body, dict):
        body = body.get(key)
    return body if isinstance(body, list) else []


def _describe(response: requests.Response) -> tuple[str, str, str]:
    return str(response.status_code), error_text(response), request_id_of(response)


def proofpoint_error(response: requests.Response, doing: str, user: str) -> IntegrationError:
    """The typed error for a failed Proofpoint call, with Proofpoint's own explanation."""
    status, said = response.status_code, error_text(response)
    error_class, advice = _classify(status, user)
    return error_class(
        message=f"{doing} failed: {advice} (Proofpoint said: {said})",
        status=status,
        code=str(status),
        service=SERVICE,
        request_id=request_id_of(response),
        details={"errors": error_items(response)},
    )


def _classify(status: int, user: str) -> tuple[type[IntegrationError], str]:
    if status == 401:
        return ProofpointAuthFailed, (
            f"Proofpoint refused the API user's credentials ({user}). Check PROOFPOINT_API_USER "
            "and "
            "PROOFPOINT_API_PASSWORD, and that the account is active and not locked."
        )
    if status == 403:
        return PermanentError, "the API user may not do this; use a channel-admin API user."
    if status == 404:
        return NotFound, "Proofpoint has no such object."
    if status == 409:
        return AlreadyExists, "it already exists in Proofpoint."
    if status in (400, 422):
        return ProofpointRejected, "Proofpoint refused the data as invalid."
    if status == 429 or status >= 500:
        return TransientError, "Proofpoint is busy or unavailable; the step can be retried later."
    return PermanentError, f"Proofpoint answered HTTP {status}."
