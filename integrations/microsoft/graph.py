"""Microsoft Graph client for one customer tenant, with app-only (client-credentials) tokens.

Each method is one documented Graph v1.0 call (domain.md §3; link above each). Writes are made
idempotent the way Graph allows (uniqueName upsert, duplicate answers counted as done), and the
answers Entra gives while a new object replicates are retried for a bounded time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import quote, urlencode, urlsplit

import requests

from integrations.errors import (
    ConsentMissing,
    InsufficientPrivileges,
    InvalidClientCredentials,
    NotFound,
    PermanentError,
    ReplicationPending,
    SecretLifetimeRefused,
    SecretsNotAllowed,
    TenantNotFound,
)
from integrations.http import OutboundConfig, send
from integrations.microsoft.discovery import (
    TenantInfo,
    admin_consent_url,
    is_microsoft_login_host,
    resolve_tenant,
)
from integrations.microsoft.errors import (
    SERVICE,
    describe_graph_error,
    graph_error,
    is_replication_delay,
)
from integrations.microsoft.token import acquire_token, forget_app, graph_scope

__all__ = [
    "GRAPH_APP_ID",
    "ConsentMissing",
    "GraphClient",
    "InsufficientPrivileges",
    "InvalidClientCredentials",
    "NotFound",
    "ReplicationPending",
    "SecretLifetimeRefused",
    "SecretsNotAllowed",
    "TenantInfo",
    "TenantNotFound",
    "admin_consent_url",
    "is_microsoft_login_host",
    "resolve_tenant",
]

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
MAX_PAGE_SIZE = 999
ALREADY_ASSIGNED = "Permission being assigned already exists"
T = TypeVar("T")


def odata_key(value: str) -> str:
    """A string for an OData key segment like (uniqueName='...'): quotes doubled, then escaped."""
    return quote(value.replace("'", "''"), safe="-_.~'")


def odata_query(params: Mapping[str, object]) -> str:
    """Query string with spaces as %20 and `$`, `,`, `'` left readable, as Graph's docs show
    them."""
    return urlencode(params, quote_via=quote, safe="$,'()")


def graph_datetime(value: datetime | str) -> str:
    """Graph's DateTimeOffset format, always UTC with a Z."""
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class GraphClient:
    """Graph v1.0 calls in one tenant, authenticated as one app (client id + secret)."""

    def __init__(
        self,
        login_url: str,
        graph_url: str,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        session: requests.Session,
        config: OutboundConfig,
        *,
        replication_timeout: float = 60.0,
    ):
        self.login_url = login_url.rstrip("/")
        self.graph_url = graph_url.rstrip("/").removesuffix("/v1.0")
        self.base = f"{self.graph_url}/v1.0"
        self.tenant_id = tenant_id
        self.client_id = client_id
        self._secret = client_secret  # never logged, never in an error message
        self.session = session
        self.config = config
        self.replication_timeout = replication_timeout

    def __repr__(self) -> str:
        return f"GraphClient(tenant={self.tenant_id!r}, client_id={self.client_id!r})"

    # --- plumbing ------------------------------------------------------------------------------

    def acquire_token(self) -> str:
        """An app-only Graph token (proves the credentials work; used by every call)."""
        return acquire_token(
            self.login_url,
            self.tenant_id,
            self.client_id,
            self._secret,
            graph_scope(self.graph_url),
            self.session,
        )

    def _url(self, path: str, params: Mapping[str, object] | None = None) -> str:
        url = path if path.startswith("https://") else f"{self.base}{path}"
        return f"{url}?{odata_query(params)}" if params else url

    def _request(
        self,
        method: str,
        url: str,
        *,
        doing: str,
        ok=(200,),
        headers=None,
        idempotent=True,
        **kwargs,
    ) -> requests.Response:
        """One Graph call: token, retries for throttling (http.send), typed error if not `ok`.

        A 401 means Graph no longer honours the cached token (consent revoked, continuous access
        evaluation, a new deployment of the tenant): drop it and try once more with a fresh one.
        """
        response = self._send_with_token(method, url, headers, idempotent, **kwargs)
        if response.status_code == 401:
            forget_app(self.login_url, self.tenant_id, self.client_id)
            response = self._send_with_token(method, url, headers, idempotent, **kwargs)
        if response.status_code not in ok:
            raise graph_error(response, doing)
        return response

    def _send_with_token(
        self, method: str, url: str, headers, idempotent: bool, **kwargs
    ) -> requests.Response:
        all_headers = {
            "Authorization": f"Bearer {self.acquire_token()}",
            "Accept": "application/json",
        }
        all_headers.update(headers or {})
        return send(
            self.session,
            method,
            url,
            config=self.config,
            service=SERVICE,
            headers=all_headers,
            idempotent=idempotent,
            describe_error=describe_graph_error,
            **kwargs,
        )

    def _get_json(self, url: str, doing: str, headers=None) -> dict:
        return self._request("GET", url, doing=doing, headers=headers).json()

    def _until_replicated(self, attempt: Callable[[], T], doing: str) -> T:
        """Run `attempt`, retrying Entra's "not replicated yet" answers until
        replication_timeout."""
        deadline = self.config.clock() + self.replication_timeout
        tries = 0
        while True:
            tries += 1
            try:
                return attempt()
            except PermanentError as error:
                remaining = deadline - self.config.clock()
                if not is_replication_delay(error):
                    raise
                if remaining <= 0:
                    raise _replication_pending(error, doing) from error
                self.config.sleep(
                    min(remaining, self.config.backoff_cap, self.config.backoff_base * 2**tries)
                )

    # --- paging ---------------------------------------------------------------------------------

    def iter_pages(
        self, path: str, params: Mapping[str, object], headers=None
    ) -> Iterator[list[dict]]:
        """Yield each page's `value`, following `@odata.nextLink` verbatim until it is absent.

        The same headers (e.g. ConsistencyLevel: eventual) go with every page.
        https://learn.microsoft.com/en-us/graph/paging
        """
        url: str | None = self._url(path, params)
        while url:
            body = self._get_json(url, doing=f"Reading {path}", headers=headers)
            yield body.get("value", [])
            url = body.get("@odata.nextLink")
            if url:
                self._check_same_host(url)

    def _check_same_host(self, url: str) -> None:
        """Never send our bearer token to a host other than Graph's, whatever a nextLink says."""
        if urlsplit(url)[:2] != urlsplit(self.base)[:2]:
            raise PermanentError(
                message="Microsoft Graph returned a next-page link to another host; refusing to "
                "follow it.",
                code="foreign_next_link",
                service=SERVICE,
            )

    def _collect(self, path: str, params: Mapping[str, object] | None = None) -> list[dict]:
        return [item for page in self.iter_pages(path, params or {}) for item in page]

    def _iter_directory(self, path, select, page_size, headers) -> Iterator[list[dict]]:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(
                f"page_size must be 1..{MAX_PAGE_SIZE} (Graph refuses more), not {page_size}"
            )
        params = {"$select": ",".join(select), "$top": page_size}
        return self.iter_pages(path, params, headers=headers)

    # https://learn.microsoft.com/en-us/graph/api/user-list?view=graph-rest-1.0
    def iter_user_pages(
        self,
        select: list[str],
        page_size: int = MAX_PAGE_SIZE,
        headers: Mapping[str, str] | None = None,
    ) -> Iterator[list[dict]]:
        """Users, one page at a time; accountEnabled etc. come back only if in `select`."""
        return self._iter_directory("/users", select, page_size, headers)

    # https://learn.microsoft.com/en-us/graph/api/group-list?view=graph-rest-1.0
    def iter_group_pages(
        self,
        select: list[str],
        page_size: int = MAX_PAGE_SIZE,
        headers: Mapping[str, str] | None = None,
    ) -> Iterator[list[dict]]:
        """Groups, one page at a time."""
        return self._iter_directory("/groups", select, page_size, headers)

    # --- applications ---------------------------------------------------------------------------

    # https://learn.microsoft.com/en-us/graph/api/application-upsert?view=graph-rest-1.0
    def upsert_application(self, unique_name: str, body: dict) -> tuple[dict, bool]:
        """Create the app registration or update the existing one; (app, created).

        PATCH by uniqueName with `Prefer: create-if-missing` is idempotent, unlike POST
        /applications.
        """
        url = self._url(f"/applications(uniqueName='{odata_key(unique_name)}')")
        response = self._request(
            "PATCH",
            url,
            doing="Creating the app registration",
            ok=(200, 201, 204),
            json=body,
            headers={"Prefer": "create-if-missing"},
        )
        if response.status_code == 201:
            return response.json(), True
        if response.status_code == 200 and response.content:
            return response.json(), False
        # 204: it existed and was updated, with no body; read it back.
        app = self._until_replicated(
            lambda: self._get_json(url, "Reading the app registration"),
            "Reading the app registration",
        )
        return app, False

    # https://learn.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0
    def get_application(self, object_id: str) -> dict:
        """The app registration by object id."""
        return self._get_json(
            self._url(f"/applications/{object_id}"), "Reading the app registration"
        )

    # https://learn.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0 (uniqueName
    # key)
    def find_application_by_unique_name(self, unique_name: str) -> dict | None:
        """The app registration with this uniqueName, or None."""
        url = self._url(f"/applications(uniqueName='{odata_key(unique_name)}')")
        try:
            return self._get_json(url, "Looking up the app registration")
        except NotFound:
            return None

    # https://learn.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0 (appId key)
    def find_application_by_app_id(self, app_id: str, select: str = "") -> dict | None:
        """The app registration with this application (client) id, or None; `select`: only
        those properties (passwordCredentials comes back with its metadata, never a secret)."""
        params = {"$select": select} if select else None
        url = self._url(f"/applications(appId='{odata_key(app_id)}')", params)
        try:
            return self._get_json(url, "Looking up the app registration")
        except NotFound:
            return None

    # --- service principals and consent ---------------------------------------------------------

    # https://learn.microsoft.com/en-us/graph/api/serviceprincipal-upsert?view=graph-rest-1.0
    def upsert_service_principal(self, app_id: str) -> dict:
        """The app's service principal in this tenant, created if missing (retried while
        replicating)."""
        url = self._url(f"/servicePrincipals(appId='{odata_key(app_id)}')")
        doing = "Creating the app's service principal"

        def attempt() -> dict:
            response = self._request(
                "PATCH",
                url,
                doing=doing,
                ok=(200, 201, 204),
                json={},
                headers={"Prefer": "create-if-missing"},
            )
            if response.status_code in (200, 201) and response.content:
                return response.json()
            return self._get_json(url, doing)

        return self._until_replicated(attempt, doing)

    # https://learn.microsoft.com/en-us/graph/api/serviceprincipal-get?view=graph-rest-1.0 (appId
    # key)
    def find_service_principal_by_app_id(self, app_id: str, select: str = "") -> dict | None:
        """The service principal (enterprise application) of an app in this tenant, or None."""
        params = {"$select": select} if select else None
        url = self._url(f"/servicePrincipals(appId='{odata_key(app_id)}')", params)
        try:
            return self._get_json(url, "Looking up the app's service principal")
        except NotFound:
            return None

    # https://learn.microsoft.com/en-us/graph/api/serviceprincipal-get?view=graph-rest-1.0
    def get_graph_service_principal(self) -> dict:
        """Microsoft Graph's own service principal in this tenant (the resource of every grant)."""
        url = self._url(
            f"/servicePrincipals(appId='{GRAPH_APP_ID}')",
            {"$select": "id,appId,appRoles,oauth2PermissionScopes"},
        )
        return self._get_json(url, "Reading Microsoft Graph's service principal")

    # https://learn.microsoft.com/en-us/graph/api/serviceprincipal-post-approleassignedto?view=graph-rest-1.0
    def assign_app_role(self, principal_id: str, resource_id: str, app_role_id: str) -> bool:
        """Grant one application permission; False when it was already granted."""
        doing = "Granting an application permission"
        body = {"principalId": principal_id, "resourceId": resource_id, "appRoleId": app_role_id}

        def attempt() -> bool:
            try:
                self._request(
                    "POST",
                    self._url(f"/servicePrincipals/{resource_id}/appRoleAssignedTo"),
                    doing=doing,
                    ok=(200, 201),
                    json=body,
                )
            except PermanentError as error:
                if error.status == 400 and ALREADY_ASSIGNED in error.message:
                    return False
                raise
            return True

        return self._until_replicated(attempt, doing)

    # https://learn.microsoft.com/en-us/graph/api/serviceprincipal-list-approleassignments?view=graph-rest-1.0
    def list_app_role_assignments(self, sp_id: str) -> list[dict]:
        """Application permissions granted to a service principal."""
        return self._collect(f"/servicePrincipals/{sp_id}/appRoleAssignments")

    # https://learn.microsoft.com/en-us/graph/api/oauth2permissiongrant-post?view=graph-rest-1.0
    def ensure_delegated_grant(self, client_sp_id: str, resource_sp_id: str, scope: str) -> str:
        """Tenant-wide delegated consent with exactly `scope` (names, space separated).

        Returns 'created', 'updated' or 'unchanged'. There is one grant per (client, resource): a
        409
        means it exists, so read it and PATCH its scope if it differs.
        """
        doing = "Granting delegated permissions"
        body = {
            "clientId": client_sp_id,
            "consentType": "AllPrincipals",
            "resourceId": resource_sp_id,
            "scope": scope,
        }

        def attempt() -> str:
            response = self._request(
                "POST",
                self._url("/oauth2PermissionGrants"),
                doing=doing,
                ok=(200, 201, 409),
                json=body,
            )
            if response.status_code != 409:
                return "created"
            return self._align_grant_scope(client_sp_id, resource_sp_id, scope)

        return self._until_replicated(attempt, doing)

    # https://learn.microsoft.com/en-us/graph/api/oauth2permissiongrant-list?view=graph-rest-1.0
    def find_delegated_grant(self, client_sp_id: str, resource_sp_id: str) -> dict | None:
        """The tenant-wide (AllPrincipals) grant of a client on a resource, or None."""
        flt = f"clientId eq '{client_sp_id}' and resourceId eq '{resource_sp_id}'"
        grants = self._collect("/oauth2PermissionGrants", {"$filter": flt})
        tenant_wide = [g for g in grants if g.get("consentType") == "AllPrincipals"]
        found = tenant_wide or grants
        return found[0] if found else None

    # https://learn.microsoft.com/en-us/graph/api/oauth2permissiongrant-list?view=graph-rest-1.0
    def list_delegated_grants(self, client_sp_id: str) -> list[dict]:
        """Every delegated grant of a client service principal (one read, whatever the resource)."""
        flt = f"clientId eq '{client_sp_id}'"
        return self._collect("/oauth2PermissionGrants", {"$filter": flt})

    # https://learn.microsoft.com/en-us/graph/api/oauth2permissiongrant-update?view=graph-rest-1.0
    def _align_grant_scope(self, client_sp_id: str, resource_sp_id: str, scope: str) -> str:
        grant = self.find_delegated_grant(client_sp_id, resource_sp_id)
        if grant is None:  # the 409 came from a replica this read cannot see yet
            raise NotFound(
                message="Permission entry already exists, but it cannot be read yet.",
                status=404,
                service=SERVICE,
            )
        if set(grant.get("scope", "").split()) == set(scope.split()):
            return "unchanged"
        self._request(
            "PATCH",
            self._url(f"/oauth2PermissionGrants/{grant['id']}"),
            doing="Updating delegated permissions",
            ok=(200, 204),
            json={"scope": scope},
        )
        return "updated"

    # --- client secrets -------------------------------------------------------------------------

    # https://learn.microsoft.com/en-us/graph/api/application-addpassword?view=graph-rest-1.0
    def add_password(
        self, app_object_id: str, display_name: str, end_datetime: datetime | str
    ) -> dict:
        """A new client secret; `secretText` is in this answer only, never again."""
        body = {
            "passwordCredential": {
                "displayName": display_name,
                "endDateTime": graph_datetime(end_datetime),
            }
        }
        doing = "Creating the client secret"
        # Not idempotent (each call makes another secret): http.send must not repeat it after a
        # timeout.
        return self._until_replicated(
            lambda: self._request(
                "POST",
                self._url(f"/applications/{app_object_id}/addPassword"),
                doing=doing,
                json=body,
                idempotent=False,
            ).json(),
            doing,
        )

    # https://learn.microsoft.com/en-us/graph/api/application-removepassword?view=graph-rest-1.0
    def remove_password(self, app_object_id: str, key_id: str) -> bool:
        """Delete a client secret; False if the app is gone already."""
        try:
            self._request(
                "POST",
                self._url(f"/applications/{app_object_id}/removePassword"),
                doing="Removing an old client secret",
                ok=(200, 204),
                json={"keyId": key_id},
            )
        except NotFound:
            return False
        return True

    # https://learn.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0 ($select)
    def list_password_credentials(self, app_object_id: str) -> list[dict]:
        """The app's secrets (metadata only: keyId, hint, displayName, start/endDateTime)."""
        url = self._url(f"/applications/{app_object_id}", {"$select": "passwordCredentials"})
        return self._get_json(url, "Reading the app's client secrets").get(
            "passwordCredentials", []
        )

    # --- tenant facts ---------------------------------------------------------------------------

    # https://learn.microsoft.com/en-us/graph/api/subscribedsku-list?view=graph-rest-1.0
    def list_subscribed_skus(self) -> list[dict]:
        """The tenant's licences (skuId joins users' assignedLicenses)."""
        return self._collect("/subscribedSkus")

    # https://learn.microsoft.com/en-us/graph/api/domain-list?view=graph-rest-1.0
    def list_domains(self) -> list[dict]:
        """The tenant's domains (each must exist in the Proofpoint org)."""
        return self._collect("/domains")

    # https://learn.microsoft.com/en-us/graph/api/organization-get?view=graph-rest-1.0
    def get_organization(self) -> dict:
        """The tenant's organization object."""
        orgs = self._collect("/organization")
        return orgs[0] if orgs else {}

    # https://learn.microsoft.com/en-us/graph/api/user-list?view=graph-rest-1.0
    def first_user(self) -> dict | None:
        """One user id: a cheap call proving the token works and directory read is consented."""
        body = self._get_json(self._url("/users", {"$top": 1, "$select": "id"}), "Reading a user")
        users = body.get("value", [])
        return users[0] if users else None


def _replication_pending(error: PermanentError, doing: str) -> ReplicationPending:
    return ReplicationPending(
        message=f"{doing}: Microsoft Entra has not finished setting up the new object yet. "
        "This normally takes seconds to minutes; the step will be retried.",
        status=error.status,
        code=error.code,
        service=SERVICE,
        request_id=error.request_id,
    )
