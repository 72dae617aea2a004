"""Realism knobs: latency, throttling, outages, replication and secret-propagation delays, policies.

Knobs are global with per-tenant overrides (keyed by any domain or the tenant id), and can be
changed at
run time through `POST /_sandbox/knobs`. `fail_next` scripts exact faults for tests ("the next GET
/v1.0/users answers 429 with Retry-After 2.128"), so tests need no luck.
"""

from __future__ import annotations

import copy
import random
import threading
from dataclasses import dataclass

DEFAULTS: dict = {
    "latency_ms": 0,  # added before every call of the services listed in "services"
    "throttle_rate": 0.0,  # share of calls answered 429
    "unavailable_rate": 0.0,  # share of calls answered 503
    "retry_after": [
        1,
        2.128,
        None,
    ],  # Retry-After values for 429/503, picked at random; None = no header
    "services": ["login", "graph", "proofpoint"],  # where latency/throttle/unavailable apply
    "replication_delay_s": 0.0,  # new apps, SPs, assignments, grants invisible to reads for N s
    "replication_error": "400",  # dependent write on an unreplicated principal: "400" or "404"
    "secret_propagation_s": 0.0,  # a new secret is refused (AADSTS7000215) for N s
    "secret_max_lifetime_days": None,  # app-management policy: max secret lifetime
    "secrets_forbidden": False,  # app-management policy: no password credentials at all
    "token_lifetime_s": 3599,
    "auto_consent": False,  # consent links approve at once, no page
    # User creations that fail (409, "in use by another organization").
    "proofpoint_fail_emails": [],
    "proofpoint_fail_rate": 0.0,  # share of user creations that fail that way
    "auth_code_lifetime_s": 600,  # an authorization code works this long (Entra: about 10 minutes)
    "signin_time_shift_s": 0,  # shifts iat/nbf/exp of staff sign-in tokens (-7200: already expired)
    "signin_foreign_tenant_tokens": False,  # others' users get their home tid, not AADSTS50020
    "seed": 0,  # seeds the random draws above, so a run can be replayed
    "clock_offset_s": 0,  # the sandbox's clock runs this far ahead (expiry, token lifetime, stamps)
    "proofpoint_sync_runs": True,  # Proofpoint's scheduled sync runs (moves last_successful_sync)
    # secret_expiry / last_successful_sync as: iso, iso_offset, space, epoch, epoch_ms, date, omit
    # (the real format is undocumented)
    "proofpoint_time_format": "iso",
    "proofpoint_orgs_page_size": None,  # GET /orgs/{partner}/orgs pages by this many (None: all)
}


@dataclass
class Fault:
    """A scripted or random fault to answer instead of calling the handler."""

    status: int
    retry_after: object = None
    body: object = None


class Knobs:
    """Thread-safe knob store. Read with `get(name, tenant_keys)`; faults with `draw_fault`."""

    def __init__(self, config: dict | None = None):
        self._lock = threading.Lock()
        self.replace(config or {})

    def replace(self, config: dict) -> None:
        with self._lock:
            self._global = dict(DEFAULTS)
            self._tenants: dict[str, dict] = {}
            self._fail_next: list[dict] = []
            self._rng = random.Random(0)
        self.update(config)

    def update(self, config: dict) -> None:
        """Merge {"global": {...}, "tenants": {key: {...}}, "fail_next": [...]} (flat keys =
        global)."""
        config = copy.deepcopy(config or {})
        if config.pop("replace", False):
            self.replace({})
        tenants = config.pop("tenants", {}) or {}
        fail_next = config.pop("fail_next", []) or []
        flat = config.pop("global", {}) or {}
        flat.update(config)
        unknown = [
            k for k in [*flat, *(k for t in tenants.values() for k in t)] if k not in DEFAULTS
        ]
        if unknown:
            raise ValueError(f"unknown knob(s): {', '.join(sorted(set(unknown)))}")
        with self._lock:
            self._global.update(flat)
            for key, values in tenants.items():
                self._tenants.setdefault(key.lower(), {}).update(values)
            self._fail_next.extend(fail_next)
            if "seed" in flat:
                self._rng = random.Random(flat["seed"])

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "global": dict(self._global),
                "tenants": copy.deepcopy(self._tenants),
                "fail_next": copy.deepcopy(self._fail_next),
            }

    def get(self, name: str, tenant_keys: tuple[str, ...] = ()):
        with self._lock:
            for key in tenant_keys:
                values = self._tenants.get((key or "").lower())
                if values and name in values:
                    return values[name]
            return self._global[name]

    def chance(self, rate: float) -> bool:
        with self._lock:
            return rate > 0 and self._rng.random() < rate

    def choice(self, values: list):
        with self._lock:
            return self._rng.choice(values) if values else None

    def draw_fault(self, service: str, route: str, tenant_keys: tuple[str, ...]) -> Fault | None:
        """A scripted fault first, then random 429/503 by the configured shares."""
        scripted = self._take_scripted(service, route)
        if scripted:
            return scripted
        if service not in self.get("services", tenant_keys):
            return None
        for status, knob in ((429, "throttle_rate"), (503, "unavailable_rate")):
            if self.chance(float(self.get(knob, tenant_keys) or 0)):
                return Fault(status, self.choice(list(self.get("retry_after", tenant_keys))))
        return None

    def _take_scripted(self, service: str, route: str) -> Fault | None:
        with self._lock:
            for index, item in enumerate(self._fail_next):
                if item.get("service", service) != service or item.get("route", route) != route:
                    continue
                item["count"] = int(item.get("count", 1)) - 1
                if item["count"] <= 0:
                    del self._fail_next[index]
                return Fault(
                    int(item.get("status", 429)), item.get("retry_after"), item.get("body")
                )
        return None
