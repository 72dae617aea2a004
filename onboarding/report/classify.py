"""How Entra accounts become Proofpoint accounts (domain.md §5), as pure functions of Graph objects.

Proofpoint's improved sync ("sync version 2", Vircom KB "Improved Azure Sync"):
- enabled AND an Exchange-capable licence → a user with the tenant's default role
(end_user/silent_user);
- disabled (accountEnabled=false) → functional account (mail keeps flowing);
- shared / unlicensed mailboxes, distribution and mail-enabled security groups → functional
accounts,
  not billed;
- aliases are the `smtp:` entries of proxyAddresses (`SMTP:` is the primary address).

Our own decisions, where the sources say nothing:
- Guests (userType Guest) are never imported: Proofpoint's org cannot hold their external domains.
They
  are listed under "Exempt from sync" so the technician sees they were considered, not lost.
- An account is skipped when no address of it is in the tenant's mail domains (the verified,
non-initial
  domains that prepare_org put in the Proofpoint org): Proofpoint refuses such addresses.
- Aliases outside those domains (e.g. the tenant's initial onmicrosoft.com name) are dropped for the
  same reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from onboarding.models import AccountKind

USER_SELECT = [
    "id",
    "displayName",
    "givenName",
    "surname",
    "userPrincipalName",
    "mail",
    "accountEnabled",
    "assignedLicenses",
    "proxyAddresses",
    "userType",
]
GROUP_SELECT = [
    "id",
    "displayName",
    "mail",
    "mailEnabled",
    "securityEnabled",
    "proxyAddresses",
    "groupTypes",
]
FUNCTIONAL = "functional_account"
# Proofpoint account types the portal never changes or deletes (people who administer Proofpoint).
ADMIN_TYPES = frozenset(
    {"organization_admin", "channel_admin", "strategic_partner_admin", "oem_partner_admin"}
)


@dataclass
class Account:
    """One Entra account as Proofpoint should hold it."""

    email: str
    display_name: str
    kind: str
    proofpoint_type: str
    entra_id: str = ""
    firstname: str = ""
    surname: str = ""
    licensed: bool = False
    enabled: bool = True
    guest: bool = False
    aliases: list[str] = field(default_factory=list)


def exchange_sku_ids(skus: Iterable[dict]) -> frozenset[str]:
    """SKUs whose service plans include Exchange Online (EXCHANGE_S_*): they give a mailbox."""
    return frozenset(
        sku["skuId"]
        for sku in skus
        if any(
            str(plan.get("servicePlanName", "")).upper().startswith("EXCHANGE_S_")
            for plan in sku.get("servicePlans") or []
        )
    )


def mail_domains(graph_domains: Iterable[dict]) -> list[str]:
    """Verified domains other than the initial (onmicrosoft.com) one: the domains mail is routed
    for."""
    return sorted(
        d["id"].lower() for d in graph_domains if d.get("isVerified") and not d.get("isInitial")
    )


def initial_domain(graph_domains: Iterable[dict]) -> str:
    return next((d["id"].lower() for d in graph_domains if d.get("isInitial")), "")


def _domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def addresses(obj: dict) -> tuple[str, list[str]]:
    """(primary, aliases) from proxyAddresses, falling back to `mail` for the primary."""
    primary, aliases = "", []
    for proxy in obj.get("proxyAddresses") or ():
        prefix, _, address = str(proxy).partition(":")
        if prefix == "SMTP":
            primary = address.lower()
        elif prefix == "smtp":
            aliases.append(address.lower())
    primary = primary or str(obj.get("mail") or "").lower()
    if not aliases:
        return primary, aliases
    return primary, [a for a in dict.fromkeys(aliases) if a != primary]


def _in_domains(
    primary: str, aliases: list[str], domains: frozenset[str]
) -> tuple[str, list[str]] | None:
    """The primary and aliases Proofpoint can hold; a domain alias is promoted if the primary is
    outside."""
    # _domain_of inlined: this runs for every account of a 100,000-user tenant.
    kept = [a for a in aliases if a.rpartition("@")[2].lower() in domains]
    if primary and primary.rpartition("@")[2].lower() in domains:
        return primary, kept
    if kept:
        return kept[0], kept[1:]
    return None


def classify_user(
    user: dict, exchange_skus: frozenset[str], domains: frozenset[str], default_role: str
) -> Account | None:
    """The account for a Graph user, or None when Proofpoint cannot hold it."""
    get = user.get
    primary, aliases = addresses(user)
    guest = str(get("userType") or "").lower() == "guest"
    enabled = bool(get("accountEnabled", True))
    licensed = False
    for lic in get("assignedLicenses") or ():
        if lic.get("skuId") in exchange_skus:
            licensed = True
            break
    entra_id, display_name = get("id", ""), get("displayName") or ""
    firstname, surname = get("givenName") or "", get("surname") or ""
    # Account's fields by position (email, display_name, kind, proofpoint_type, entra_id, firstname,
    # surname,
    # licensed, enabled, guest, aliases): the hot path of the report build.
    if guest:
        email = primary or str(get("userPrincipalName") or "").lower()
        if not email:
            return None
        return Account(
            email,
            display_name,
            AccountKind.USER,
            "",
            entra_id,
            firstname,
            surname,
            licensed,
            enabled,
            guest,
            [],
        )
    kept = _in_domains(primary, aliases, domains)
    if kept is None:
        return None
    email, aliases = kept
    if enabled and licensed:
        return Account(
            email,
            display_name,
            AccountKind.USER,
            default_role,
            entra_id,
            firstname,
            surname,
            licensed,
            enabled,
            guest,
            aliases,
        )
    return Account(
        email,
        display_name,
        AccountKind.FUNCTIONAL,
        FUNCTIONAL,
        entra_id,
        firstname,
        surname,
        licensed,
        enabled,
        guest,
        aliases,
    )


def classify_group(group: dict, domains: frozenset[str]) -> Account | None:
    """Distribution, Microsoft 365 and mail-enabled security groups → functional accounts; others
    None."""
    if not group.get("mailEnabled"):
        return None
    primary, aliases = addresses(group)
    kept = _in_domains(primary, aliases, domains)
    if kept is None:
        return None
    email, aliases = kept
    return Account(
        email=email,
        display_name=group.get("displayName") or "",
        kind=AccountKind.GROUP,
        proofpoint_type=FUNCTIONAL,
        entra_id=group.get("id", ""),
        aliases=aliases,
    )


def proofpoint_body(account) -> dict:
    """The Proofpoint user object for an account (an Account or a SyncReportRow)."""
    body = {
        "primary_email": account.email,
        "firstname": account.firstname or "",
        "surname": account.surname or "",
        "type": account.proofpoint_type,
        # Disabled Entra accounts stay active as functional accounts (domain.md §5).
        "is_active": True,
        "alias_emails": list(account.aliases),
        "send_welcome_email": False,
    }
    if account.kind != AccountKind.USER or account.proofpoint_type == FUNCTIONAL:
        body["is_billable"] = False
    return body


def compact(pp_user: dict) -> tuple:
    """What the report compares of a Proofpoint user, small enough to hold for a large org."""
    return (
        str(pp_user.get("type") or ""),
        str(pp_user.get("firstname") or ""),
        str(pp_user.get("surname") or ""),
        tuple(sorted(str(a).lower() for a in pp_user.get("alias_emails") or [])),
    )


def differences(account: Account, current: tuple) -> list[str]:
    """Which fields Proofpoint would change for this account (empty: nothing to update)."""
    pp_type, firstname, surname, aliases = current
    changed = []
    if pp_type not in ADMIN_TYPES and pp_type != account.proofpoint_type:
        changed.append("type")
    if firstname != (account.firstname or "") and account.kind != AccountKind.GROUP:
        changed.append("first name")
    if surname != (account.surname or "") and account.kind != AccountKind.GROUP:
        changed.append("surname")
    if aliases != tuple(sorted(account.aliases)):
        changed.append("aliases")
    return changed
