"""The in-memory world: Entra tenants, Proofpoint orgs, knobs and the request log, behind one lock.

Handlers take `world.lock` for every read-modify-write, so concurrent clients see the same races the
real
services would show only where a knob asks for them (replication delay), never by accident.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field

from .catalog import graph_service_principal
from .common import GRAPH_APP_ID, guid, iso, now, utcnow, years_from_now
from .generate import Directory
from .knobs import Knobs


@dataclass
class Record:
    """A directory object: its Graph JSON plus when it becomes visible to reads (replication)."""

    data: dict
    visible_at: float = 0.0
    # addPassword secrets, keyId -> (secretText, usable_at); never shown by Graph or the state
    # endpoint.
    secrets: dict = field(default_factory=dict)

    def visible(self) -> bool:
        return now() >= self.visible_at


@dataclass
class Tenant:
    id: str
    name: str
    domains: list[dict]  # Graph domain objects; the first verified one is the default
    directory: Directory
    gcc_high: bool = False
    apps: dict[str, Record] = field(default_factory=dict)
    sps: dict[str, Record] = field(default_factory=dict)
    assignments: dict[str, Record] = field(default_factory=dict)
    grants: dict[str, Record] = field(default_factory=dict)

    @property
    def default_domain(self) -> str:
        return next(d["id"] for d in self.domains if d["isDefault"])

    @property
    def initial_domain(self) -> str:
        return next(d["id"] for d in self.domains if d["isInitial"])

    def graph_sp(self) -> Record:
        return self.sps[guid("graph-sp", self.id)]

    def sp_by_app_id(self, app_id: str, visible_only: bool = True) -> Record | None:
        for record in self.sps.values():
            if record.data["appId"] == app_id and (record.visible() or not visible_only):
                return record
        return None


@dataclass
class ProofpointOrg:
    primary_domain: str
    name: str
    type: str = "organization"  # or "partner"
    parent: str | None = None
    eid: int = 0
    stack: str = "us1"
    user_licenses: int = 0
    licensing_package: str | None = None
    country: str | None = None
    stateprov: str | None = None
    domains: dict[str, dict] = field(default_factory=dict)
    azure: dict | None = None  # settings/azure's 15 saved fields (ad_key in clear); None: never
    exemptions: list[str] = field(default_factory=list)
    created: str = field(default_factory=iso)
    # The emulated sync (proofpoint_sync.py), in real epoch seconds.
    secret_expiry: float | None = None  # the key's end as learned at the last save
    last_sync: float | None = None  # last_successful_sync
    sync_next_at: float | None = None
    sync_error: str | None = None
    # Generated orgs (fleet.py) make their users on first use: (factory, active count before that).
    users_factory: object = field(default=None, repr=False)
    generated_active: int = 0
    _users: dict | None = field(default=None, repr=False)

    @property
    def users(self) -> dict[str, dict]:
        if self._users is None:
            self._users = self.users_factory() if self.users_factory else {}
        return self._users

    @property
    def active_users(self) -> int:
        if self._users is None and self.users_factory:
            return self.generated_active
        return sum(1 for u in self.users.values() if u["is_active"])


SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "QUERY")


class RequestLog:
    """Every call the emulators answered, for test assertions: counts per "METHOD /route/template",
    the last entries (method, path, service, status, scope, start and end), and in-flight
    concurrency: the current and highest number of calls served at once, per service and per scope
    (the Graph tenant a token is for, the Proofpoint partner of the API user, the login tenant of
    the URL). `clear()` resets all of it (DELETE /_sandbox/requests)."""

    MAX_ENTRIES = 10000

    def __init__(self):
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self.counts: Counter = Counter()
            self.service_counts: Counter = Counter()  # service -> calls (the entries are capped)
            self.entries: deque = deque(maxlen=self.MAX_ENTRIES)
            self.seq = 0
            self.writes = 0
            self.in_flight: Counter = Counter()
            self.max_in_flight: Counter = Counter()
            self.scope_in_flight: Counter = Counter()  # (service, scope) -> n
            self.scope_max: Counter = Counter()
            self.epoch = getattr(self, "epoch", 0) + 1  # calls begun before a clear do not count

    def begin(self, service: str, scope: str | None) -> tuple:
        """A call starts; returns the ticket `end` needs."""
        with self._lock:
            self.in_flight[service] += 1
            self.max_in_flight[service] = max(self.max_in_flight[service], self.in_flight[service])
            if scope:
                key = (service, scope)
                self.scope_in_flight[key] += 1
                self.scope_max[key] = max(self.scope_max[key], self.scope_in_flight[key])
            return (service, scope, time.time(), self.epoch)

    def end(
        self, ticket: tuple, method: str, route: str, status, path: str, write: bool | None = None
    ) -> None:
        service, scope, started, epoch = ticket
        with self._lock:
            if epoch == self.epoch:
                self.in_flight[service] -= 1
                if scope:
                    self.scope_in_flight[(service, scope)] -= 1
            self._append(service, method, route, status, path, scope, started, time.time(), write)

    def record(
        self,
        service: str,
        method: str,
        route: str,
        status: int,
        path: str,
        scope: str | None = None,
        write: bool | None = None,
    ) -> None:
        """A call answered at once (unmatched, unauthenticated): logged, not counted in flight."""
        with self._lock:
            at = time.time()
            self._append(service, method, route, status, path, scope, at, at, write)

    def _append(self, service, method, route, status, path, scope, started, ended, write) -> None:
        key = f"{method} {route}"
        write = method.upper() not in SAFE_METHODS if write is None else write
        self.seq += 1
        self.counts[key] += 1
        self.service_counts[service] += 1
        self.writes += bool(write)
        self.entries.append(
            {
                "seq": self.seq,
                "at": iso(started),
                "service": service,
                "method": method,
                "route": key,
                "path": path,
                "status": status,
                "scope": scope,
                "write": write,
                "started": round(started, 6),
                "ended": round(ended, 6),
                "ms": round((ended - started) * 1000, 3),
            }
        )

    def snapshot(
        self, service: str | None = None, since: int = 0, writes_only: bool = False
    ) -> dict:
        with self._lock:
            recent = [
                e
                for e in self.entries
                if e["seq"] > since
                and (service is None or e["service"] == service)
                and (not writes_only or e["write"])
            ]
            by_scope: dict[str, dict[str, int]] = {}
            for (svc, scope), peak in self.scope_max.items():
                by_scope.setdefault(svc, {})[scope] = peak
            return {
                "counts": dict(self.counts),
                "by_service": dict(self.service_counts),
                "total": self.seq,
                "writes": self.writes,
                "recent": recent,
                "in_flight": {k: v for k, v in self.in_flight.items() if v},
                "max_in_flight": dict(self.max_in_flight),
                "max_in_flight_by_scope": by_scope,
            }


class World:
    """Everything that exists. `reset()` rebuilds it from the scenario."""

    def __init__(self, scenario: dict):
        self.lock = threading.RLock()
        self.scenario = scenario
        self.log = RequestLog()
        self.knobs = Knobs(scenario.get("knobs"))
        self.signing_key = None  # set by the server (certs.ensure_certs)
        self.reset()

    def reset(self) -> None:
        from .scenario import load_world  # late: scenario builds on this module

        with self.lock:
            # Tokens carry the generation they were issued in: a reset world honours none of the old
            # ones,
            # as a fresh tenant would not (otherwise a cached token outlives the consent it came
            # from).
            self.generation = getattr(self, "generation", 0) + 1
            self.tenants: dict[str, Tenant] = {}
            self.by_domain: dict[str, str] = {}
            self.orgs: dict[str, ProofpointOrg] = {}
            self.pp_users: dict[str, dict] = {}
            self.msp: dict = {}
            self.dns: dict[str, dict] = {}  # DNS overrides per domain (sandbox/dns.py)
            self.knobs.replace(self.scenario.get("knobs") or {})
            self.log.clear()
            load_world(self, self.scenario)

    # ---- tenants --------------------------------------------------------------------------------
    def add_tenant(
        self,
        name: str,
        domains: list,
        users: int,
        seed: object,
        gcc_high: bool = False,
        tenant_id: str | None = None,
        groups: int | None = None,
    ) -> Tenant:
        names = [d if isinstance(d, str) else d["name"] for d in domains]
        tenant_id = tenant_id or guid("tenant", names[0].lower())
        label = names[0].split(".")[0].replace("-", "")
        initial = f"{label}.onmicrosoft.example"
        domain_objs = [_domain(d, i == 0) for i, d in enumerate(domains)] + [
            _domain(initial, False, True)
        ]
        verified = [d["id"] for d in domain_objs if d["isVerified"] and not d["isInitial"]]
        directory = Directory(tenant_id, verified, initial, users, seed, groups)
        tenant = Tenant(tenant_id, name, domain_objs, directory, gcc_high)
        graph_sp = graph_service_principal(tenant_id)
        tenant.sps[graph_sp["id"]] = Record(graph_sp)
        with self.lock:
            self.tenants[tenant_id] = tenant
            for domain in domain_objs:
                self.by_domain[domain["id"].lower()] = tenant_id
        return tenant

    def tenant(self, key: str) -> Tenant | None:
        """By GUID or by any of its domains (case-insensitive)."""
        key = (key or "").lower()
        with self.lock:
            return self.tenants.get(key) or self.tenants.get(self.by_domain.get(key, ""))

    def tenant_keys(self, tenant: Tenant | None) -> tuple[str, ...]:
        """Keys knobs may be set under for this tenant: its id and its domains."""
        if tenant is None:
            return ()
        return (tenant.id, *(d["id"] for d in tenant.domains))

    def find_app(self, app_id: str) -> tuple[Tenant, Record] | tuple[None, None]:
        """The application object (in its home tenant) with this appId."""
        with self.lock:
            for tenant in self.tenants.values():
                for record in tenant.apps.values():
                    if record.data["appId"] == app_id:
                        return tenant, record
        return None, None

    def register_app(self, tenant: Tenant, body: dict, visible_at: float = 0.0) -> Record:
        """Create an application object with Graph's defaults filled in."""
        app_id = body.pop("appId", None) or guid("app", tenant.id, body.get("uniqueName") or now())
        object_id = body.pop("id", None) or guid("app-object", tenant.id, app_id)
        data = {
            "id": object_id,
            "appId": app_id,
            "api": {"requestedAccessTokenVersion": None, "oauth2PermissionScopes": []},
            "appRoles": [],
            "createdDateTime": iso(),
            "deletedDateTime": None,
            "description": None,
            "displayName": None,
            "identifierUris": [],
            "info": {},
            "keyCredentials": [],
            "notes": None,
            "passwordCredentials": [],
            "publisherDomain": tenant.default_domain,
            "requiredResourceAccess": [],
            "signInAudience": "AzureADMyOrg",
            "tags": [],
            "uniqueName": None,
            "web": {
                "homePageUrl": None,
                "logoutUrl": None,
                "redirectUris": [],
                "implicitGrantSettings": {
                    "enableAccessTokenIssuance": False,
                    "enableIdTokenIssuance": False,
                },
            },
        }
        data.update(body)
        record = Record(data, visible_at)
        with self.lock:
            tenant.apps[object_id] = record
        return record


def add_secret(
    record: Record,
    text: str,
    display_name: str | None,
    start=None,
    end=None,
    usable_at: float = 0.0,
    key_id: str | None = None,
) -> dict:
    """Attach a password credential; the returned dict is Graph's addPassword answer (with
    secretText)."""
    start = start or utcnow()
    end = end or years_from_now(2)
    key_id = key_id or guid("secret", record.data["id"], text)
    public = {
        "customKeyIdentifier": None,
        "displayName": display_name,
        "endDateTime": iso(end),
        "hint": text[:3],
        "keyId": key_id,
        "secretText": None,
        "startDateTime": iso(start),
    }
    record.data["passwordCredentials"].append(public)
    record.secrets[key_id] = (text, usable_at)
    return {**public, "secretText": text}


def _domain(spec, default: bool, initial: bool = False) -> dict:
    name = spec if isinstance(spec, str) else spec["name"]
    verified = True if isinstance(spec, str) else bool(spec.get("verified", True))
    return {
        "id": name.lower(),
        "authenticationType": "Managed",
        "availabilityStatus": None,
        "isAdminManaged": True,
        "isDefault": default,
        "isInitial": initial,
        "isRoot": True,
        "isVerified": verified,
        "passwordNotificationWindowInDays": 14,
        "passwordValidityPeriodInDays": 2147483647,
        "supportedServices": ["Email", "OfficeCommunicationsOnline"] if verified else [],
        "state": None,
    }


__all__ = ["GRAPH_APP_ID", "ProofpointOrg", "Record", "Tenant", "World", "add_secret"]
