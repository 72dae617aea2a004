"""Start-up checks for staff sign-in settings, in plain words."""

import re

from django.conf import settings
from django.core.checks import Warning, register

GUID = re.compile(r"[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}")


@register()
def check_staff_signin(app_configs, **kwargs) -> list:
    problems = []
    names = ("STAFF_SIGNIN_TENANT_ID", "STAFF_SIGNIN_CLIENT_ID", "STAFF_SIGNIN_CLIENT_SECRET")
    given = [name for name in names if getattr(settings, name, "")]
    if given and len(given) < len(names):
        missing = ", ".join(name for name in names if name not in given)
        problems.append(
            Warning(
                f"Microsoft staff sign-in is half configured: {missing} is empty.",
                hint="Set all three (see .env.example), or none.",
                id="accounts.W001",
            )
        )
    tenant = settings.STAFF_SIGNIN_TENANT_ID
    if tenant and not GUID.fullmatch(tenant):
        problems.append(
            Warning(
                f"STAFF_SIGNIN_TENANT_ID '{tenant}' is not a tenant id: every Microsoft sign-in "
                "would be "
                "refused as another tenant's.",
                hint="Use the GUID from Entra's Overview page (Tenant ID), not a domain.",
                id="accounts.W004",
            )
        )
    if settings.STAFF_SIGNIN_REQUIRED and len(given) < len(names):
        problems.append(
            Warning(
                "STAFF_SIGNIN_REQUIRED is on but Microsoft sign-in is not configured: only the "
                "STAFF_BREAK_GLASS_USERS can sign in.",
                id="accounts.W002",
            )
        )
    if settings.STAFF_SIGNIN_REQUIRED and not settings.STAFF_BREAK_GLASS_USERS:
        problems.append(
            Warning(
                "STAFF_SIGNIN_REQUIRED is on and STAFF_BREAK_GLASS_USERS is empty: nobody can sign "
                "in "
                "with a password if Microsoft sign-in fails.",
                hint="Name one or two break-glass accounts.",
                id="accounts.W003",
            )
        )
    return problems
