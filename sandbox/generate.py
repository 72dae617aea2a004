"""Generated Entra directories: users and groups computed on the fly from (seed, index).

A 100,000-user tenant is never materialised: `user(i)` builds one dict when asked, pages are ranges
of
indices, and ids encode the index so a GET by id needs no table. Only a lookup by UPN/mail builds an
index
(lazily, once). The mix is realistic: licensed members, disabled accounts, guests (#EXT#), shared
mailboxes (unlicensed, enabled or not), unlicensed members, aliases in proxyAddresses, and four
kinds of
groups (distribution, Microsoft 365, mail-enabled security, security).
"""

from __future__ import annotations

import hashlib
import threading
from functools import lru_cache

FIRST = [
    "Adele",
    "Alex",
    "Allan",
    "Amara",
    "Ana",
    "Anders",
    "Aria",
    "Ben",
    "Bianca",
    "Carlos",
    "Chen",
    "Chloe",
    "Dana",
    "Daniel",
    "Diego",
    "Elena",
    "Emma",
    "Erik",
    "Fatima",
    "Felix",
    "Grace",
    "Hana",
    "Hugo",
    "Ines",
    "Isaac",
    "Ivan",
    "Jade",
    "James",
    "Jana",
    "Jonas",
    "Julia",
    "Kai",
    "Kenji",
    "Lara",
    "Leo",
    "Lena",
    "Liam",
    "Lidia",
    "Lucas",
    "Maya",
    "Megan",
    "Miguel",
    "Mila",
    "Nadia",
    "Nestor",
    "Noah",
    "Nora",
    "Olga",
    "Omar",
    "Patti",
    "Pedro",
    "Priya",
    "Rafael",
    "Rosa",
    "Ruth",
    "Sam",
    "Sara",
    "Sofia",
    "Tariq",
    "Theo",
    "Uma",
    "Victor",
    "Wei",
    "Yara",
    "Yusuf",
    "Zoe",
]
LAST = [
    "Adams",
    "Ahmed",
    "Alvarez",
    "Andersen",
    "Baker",
    "Bauer",
    "Becker",
    "Brown",
    "Carter",
    "Chen",
    "Costa",
    "Cruz",
    "Davies",
    "Diaz",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Gomez",
    "Grant",
    "Hall",
    "Hansen",
    "Harris",
    "Ito",
    "Jensen",
    "Johnson",
    "Kaur",
    "Khan",
    "Kim",
    "Klein",
    "Kowalski",
    "Larsen",
    "Lee",
    "Lopez",
    "Martin",
    "Meyer",
    "Miller",
    "Moreau",
    "Muller",
    "Murphy",
    "Nakamura",
    "Nguyen",
    "Novak",
    "Olsen",
    "Patel",
    "Perez",
    "Petrov",
    "Reyes",
    "Rossi",
    "Santos",
    "Schmidt",
    "Silva",
    "Singh",
    "Smith",
    "Suzuki",
    "Tanaka",
    "Taylor",
    "Thomas",
    "Vance",
    "Wagner",
    "Walker",
    "Wang",
    "Weber",
    "Wilson",
    "Wong",
    "Young",
    "Zimmer",
]
DEPARTMENTS = [
    "Sales",
    "Marketing",
    "Finance",
    "Operations",
    "Engineering",
    "Support",
    "Legal",
    "HR",
    "Facilities",
    "Research",
]
TITLES = [
    "Analyst",
    "Manager",
    "Engineer",
    "Consultant",
    "Director",
    "Coordinator",
    "Specialist",
    "Assistant",
    "Lead",
    "Officer",
]
OFFICES = ["Building 1", "Building 2", "Head office", "Remote", "Warehouse"]
SHARED = [
    "info",
    "sales",
    "support",
    "billing",
    "reception",
    "hr",
    "careers",
    "orders",
    "accounts",
    "helpdesk",
    "press",
    "events",
]

# Microsoft's real SKU and service-plan ids (subscribedSkus): two Exchange-capable SKUs, two without
# mail.
SKUS = {
    "O365_BUSINESS_PREMIUM": (
        "f245ecc8-75af-4f8e-b61f-27d8114de5f3",
        "EXCHANGE_S_STANDARD",
        "9aaf7827-d63c-4b61-89c3-182f06f82e5c",
    ),
    "ENTERPRISEPACK": (
        "6fd2c87f-b296-42f0-b197-1e91e994b900",
        "EXCHANGE_S_ENTERPRISE",
        "efb87545-963c-4e0d-99df-69c6916d9eb0",
    ),
    "POWER_BI_STANDARD": (
        "a403ebcc-fae0-4ca2-8c8c-7a907fd6c235",
        "BI_AZURE_P0",
        "2049e525-b859-401b-b2a0-e0a31c4b1fe4",
    ),
    "FLOW_FREE": (
        "f30db892-07e9-47e9-837c-80727f46fd3d",
        "FLOW_P2_VIRAL",
        "50e68c76-46c6-4674-81f9-75456511b170",
    ),
}
MAIL_SKUS = ("O365_BUSINESS_PREMIUM", "ENTERPRISEPACK")

USER_KINDS = ("member", "disabled", "guest", "shared_disabled", "shared_enabled", "unlicensed")
GROUP_KINDS = ("distribution", "unified", "mail_security", "security")


def _hash(*parts: object) -> int:
    digest = hashlib.blake2b("/".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _fraction(value: int, shift: int) -> float:
    return ((value >> shift) & 0xFFFF) / 65536.0


class Directory:
    """The users and groups of one tenant, generated from `seed`."""

    def __init__(
        self,
        tenant_id: str,
        domains: list[str],
        initial_domain: str,
        users: int,
        seed: object,
        groups: int | None = None,
        created: str = "2021-03-04T09:00:00Z",
    ):
        self.tenant_id = tenant_id
        self.domains = domains or [initial_domain]
        self.initial_domain = initial_domain
        self.user_count = int(users)
        self.group_count = int(
            groups if groups is not None else max(4, min(5000, self.user_count // 20))
        )
        self.seed = seed
        self.created = created
        self._mask = _hash("mask", seed, tenant_id) & 0xFFFFFFFFFFFF
        self._prefix = f"{_hash('prefix', seed, tenant_id):016x}"
        self._names = len(FIRST) * len(LAST)
        self._stride = self._coprime_stride()
        self._lock = threading.Lock()
        self._by_name: dict[str, int] | None = None
        self._sku_counts: dict[str, int] | None = None

    # ---- identity of user i -------------------------------------------------------------------
    def _coprime_stride(self) -> int:
        """A stride coprime with the name space, so names are a permutation (unique, not sorted)."""
        from math import gcd

        stride = 7919 + _hash("stride", self.seed) % 5000
        while gcd(stride, self._names) != 1:
            stride += 1
        return stride

    def object_id(self, kind: str, index: int) -> str:
        """A GUID whose last group is the index XOR a per-tenant mask: invertible without a
        table."""
        head = f"{_hash(kind, self.seed, self.tenant_id, index):016x}"
        tail = f"{(index ^ self._mask) & 0xFFFFFFFFFFFF:012x}"
        variant = "89ab"[int(head[0], 16) % 4]
        return f"{head[:8]}-{head[8:12]}-4{head[13:16]}-{variant}{self._prefix[:3]}-{tail}"

    def index_of(self, kind: str, object_id: str, count: int) -> int | None:
        try:
            index = int(object_id.rsplit("-", 1)[1], 16) ^ self._mask
        except (ValueError, IndexError):
            return None
        if 0 <= index < count and self.object_id(kind, index) == object_id.lower():
            return index
        return None

    def user_kind(self, index: int) -> str:
        # The first few are fixed so even a 10-user tenant shows every kind.
        if index == 0:
            return "member"
        if index < len(USER_KINDS) and self.user_count >= len(USER_KINDS):
            return USER_KINDS[index]
        r = _fraction(_hash("kind", self.seed, index), 0)
        for kind, bound in (
            ("disabled", 0.05),
            ("guest", 0.08),
            ("shared_disabled", 0.105),
            ("shared_enabled", 0.12),
            ("unlicensed", 0.16),
        ):
            if r < bound:
                return kind
        return "member"

    def licences(self, index: int, kind: str | None = None) -> list[str]:
        """SKU part numbers held by user i (cheap: used to count consumed units)."""
        kind = kind or self.user_kind(index)
        h = _hash("lic", self.seed, index)
        if kind in ("guest", "shared_disabled", "shared_enabled"):
            return []
        if kind == "unlicensed":
            return ["FLOW_FREE"] if h & 1 else []
        skus = [MAIL_SKUS[(h >> 1) % 2 if (h >> 2) % 3 == 0 else 0]]
        if (h >> 8) % 7 == 0:
            skus.append("POWER_BI_STANDARD")
        return skus

    def _name(self, index: int) -> tuple[str, str, str]:
        block, pos = divmod(index, self._names)
        j = (pos * self._stride + _hash("offset", self.seed) % self._names) % self._names
        first, last = FIRST[j % len(FIRST)], LAST[j // len(FIRST)]
        local = f"{first}.{last}".lower() + (str(block + 1) if block else "")
        return first, last, local

    # ---- users ---------------------------------------------------------------------------------
    def user(self, index: int) -> dict:
        """The full Graph user object for index i (every property the sandbox knows)."""
        kind = self.user_kind(index)
        h = _hash("user", self.seed, index)
        first, last, local = self._name(index)
        domain = self.domains[1] if len(self.domains) > 1 and (h % 100) < 15 else self.domains[0]
        upn, mail = f"{local}@{domain}", f"{local}@{domain}"
        proxies = [f"SMTP:{mail}"]
        if _fraction(h, 16) < 0.25 and kind != "guest":
            alias_domain = self.domains[-1] if len(self.domains) > 1 else self.initial_domain
            proxies.append(f"smtp:{first[0].lower()}{last.lower()}{index}@{alias_domain}")
        if kind != "guest":
            proxies.append(f"smtp:{local}@{self.initial_domain}")
        display, user_type, enabled = f"{first} {last}", "Member", kind != "disabled"
        if kind == "guest":
            partner = f"partner{h % 17}.example"
            mail = f"{local}@{partner}"
            upn = f"{local}_{partner}#EXT#@{self.initial_domain}"
            proxies, user_type, display = [f"SMTP:{mail}"], "Guest", f"{display} ({partner})"
        elif kind.startswith("shared"):
            word = SHARED[h % len(SHARED)]
            local = f"{word}{index}"
            upn = mail = f"{local}@{self.domains[0]}"
            proxies = [f"SMTP:{mail}", f"smtp:{local}@{self.initial_domain}"]
            first, last, display = None, None, f"{word.capitalize()} mailbox {index}"
            enabled = kind == "shared_enabled"
        return {
            "id": self.object_id("user", index),
            "accountEnabled": enabled,
            "assignedLicenses": [
                {"disabledPlans": [], "skuId": SKUS[s][0]} for s in self.licences(index, kind)
            ],
            "businessPhones": [] if h % 3 else [f"+1 425 555 {index % 10000:04d}"],
            "createdDateTime": self.created,
            "department": None
            if kind in ("guest", "shared_disabled", "shared_enabled")
            else DEPARTMENTS[(h >> 4) % len(DEPARTMENTS)],
            "displayName": display,
            "givenName": first,
            "jobTitle": None if first is None else TITLES[(h >> 12) % len(TITLES)],
            "mail": mail,
            "mailNickname": local.replace(".", ""),
            "mobilePhone": None,
            "officeLocation": None if first is None else OFFICES[(h >> 20) % len(OFFICES)],
            "preferredLanguage": "en-US" if user_type == "Member" else None,
            "proxyAddresses": proxies,
            "surname": last,
            "usageLocation": "US" if kind != "guest" else None,
            "userPrincipalName": upn,
            "userType": user_type,
        }

    def find_user(self, key: str) -> int | None:
        """By object id (no table) or by UPN/mail (a lazily built index)."""
        index = self.index_of("user", key, self.user_count)
        if index is not None:
            return index
        with self._lock:
            if self._by_name is None:
                self._by_name = {}
                for i in range(self.user_count):
                    user = self.user(i)
                    self._by_name[user["userPrincipalName"].lower()] = i
            return self._by_name.get(key.lower())

    def sku_consumed(self) -> dict[str, int]:
        """Consumed units per SKU; one pass over cheap licence draws, cached."""
        with self._lock:
            if self._sku_counts is None:
                counts = dict.fromkeys(SKUS, 0)
                for i in range(self.user_count):
                    for sku in self.licences(i):
                        counts[sku] += 1
                self._sku_counts = counts
            return dict(self._sku_counts)

    # ---- groups --------------------------------------------------------------------------------
    def group(self, index: int) -> dict:
        h = _hash("group", self.seed, index)
        kind = (
            GROUP_KINDS[index % len(GROUP_KINDS)]
            if index < 8
            else GROUP_KINDS[h % len(GROUP_KINDS)]
        )
        department = DEPARTMENTS[(h >> 8) % len(DEPARTMENTS)]
        nickname = f"{department.lower()}-{kind.replace('_', '-')}-{index}"
        mail_enabled = kind != "security"
        mail = f"{nickname}@{self.domains[0]}" if mail_enabled else None
        return {
            "id": self.object_id("group", index),
            "classification": None,
            "createdDateTime": self.created,
            "deletedDateTime": None,
            "description": f"{department} {kind.replace('_', ' ')} group",
            "displayName": f"{department} {kind.replace('_', ' ').title()} {index}",
            "groupTypes": ["Unified"] if kind == "unified" else [],
            "isAssignableToRole": None,
            "mail": mail,
            "mailEnabled": mail_enabled,
            "mailNickname": nickname,
            "membershipRule": None,
            "onPremisesSyncEnabled": None,
            "proxyAddresses": [f"SMTP:{mail}", f"smtp:{nickname}@{self.initial_domain}"]
            if mail
            else [],
            "renewedDateTime": self.created,
            "securityEnabled": kind in ("mail_security", "security"),
            "securityIdentifier": f"S-1-12-1-{h % 4294967296}-{index}",
            "visibility": "Private" if kind == "unified" else None,
        }

    def find_group(self, key: str) -> int | None:
        return self.index_of("group", key, self.group_count)


@lru_cache(maxsize=1)
def sku_catalog() -> dict[str, dict]:
    """SKU id → part number and its single relevant service plan."""
    return {
        part: {"skuId": sku_id, "plan": plan, "planId": plan_id}
        for part, (sku_id, plan, plan_id) in SKUS.items()
    }
