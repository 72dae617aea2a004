"""Proofpoint Essentials users: validation, normalisation and the uniqueness rules of addresses.

An address (primary or alias) can belong to one user only; a primary address is unique across all
orgs.
"""

from __future__ import annotations

import re

from .common import iso

USER_TYPES = (
    "end_user",
    "silent_user",
    "functional_account",
    "organization_admin",
    "channel_admin",
    "strategic_partner_admin",
    "oem_partner_admin",
)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
BOOLEANS = ("is_active", "is_billable", "send_welcome_email")


def is_email(value) -> bool:
    return isinstance(value, str) and bool(EMAIL.match(value))


def validate_user(org, body, creating: bool = True) -> tuple[str, str] | None:
    """(identifier, message) of the first problem, or None."""
    if not isinstance(body, dict):
        return "user", "Each user must be a JSON object."
    email = body.get("primary_email")
    if creating and not is_email(email):
        return (
            "primary_email",
            "The primary_email field is required and must be a valid email address.",
        )
    if creating and email.split("@", 1)[1].lower() not in org.domains:
        return (
            email,
            f"The domain of {email} is not associated with the organization {org.primary_domain}.",
        )
    if "type" in body and body["type"] not in USER_TYPES:
        return "type", f"The type must be one of: {', '.join(USER_TYPES)}."
    for field in BOOLEANS:
        if field in body and not isinstance(body[field], bool):
            return field, f"The {field} field must be true or false."
    aliases = body.get("alias_emails", [])
    if not isinstance(aliases, list) or not all(is_email(a) for a in aliases):
        return "alias_emails", "The alias_emails field must be a list of valid email addresses."
    for alias in aliases:
        if alias.split("@", 1)[1].lower() not in org.domains:
            return (
                alias,
                f"The domain of {alias} is not associated with the organization "
                f"{org.primary_domain}.",
            )
    return None


def normalised_user(org, body: dict) -> dict:
    email = body["primary_email"].lower()
    user_type = body.get("type", "end_user")
    return {
        "primary_email": email,
        "firstname": body.get("firstname") or "",
        "surname": body.get("surname") or "",
        "uid": body.get("uid") or email,
        "type": user_type,
        "is_active": body.get("is_active", True),
        "is_billable": body.get("is_billable", user_type in ("end_user", "organization_admin")),
        "alias_emails": [a.lower() for a in body.get("alias_emails", [])],
        "send_welcome_email": body.get("send_welcome_email", False),
        "created": iso(),
    }


def addresses(user: dict) -> set[str]:
    return {user["primary_email"], *user.get("alias_emails", [])}


def conflict(world, org, user: dict, ignore: str | None = None) -> str | None:
    """Why this user's addresses clash with existing ones, or None."""
    wanted = addresses(user)
    for other in org.users.values():
        if other["primary_email"] == ignore:
            continue
        clash = wanted & addresses(other)
        if clash:
            return f"The email address {sorted(clash)[0]} already exists in the organization."
    domain = user["primary_email"].split("@", 1)[-1]
    for other_org in world.orgs.values():
        # An org holds only addresses of its own domains: skip others without making their users.
        if (
            other_org is not org
            and domain in other_org.domains
            and user["primary_email"] in other_org.users
        ):
            return f"The email address {user['primary_email']} is in use by another organization."
    return None
