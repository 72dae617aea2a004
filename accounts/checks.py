"""Start-up checks for staff sign-in settings, in plain words."""

from django.conf import settings
from django.core.checks import Warning, register


@register()
def check_staff_signin(app_configs, **kwargs) -> list:
    problems = []
    names = ("STAFF_SIGNIN_TENANT_ID", "STAFF_SIGNIN_CLIENT_ID", "STAFF_SIGNIN_CLIENT_SECRET")
    given = [name for name in names if getattr(settings, name, "")]
    if given and len(given) < len(names):
        missing = ", ".join(name for name in names if name not in given)
        problems.append(Warning(f"Microsoft staff sign-in is half configured: {missing} is empty.",
                                hint="Set all three (see .env.example), or none.",
                                id="accounts.W001"))
    if settings.STAFF_SIGNIN_REQUIRED and len(given) < len(names):
        problems.append(Warning(
            "STAFF_SIGNIN_REQUIRED is on but Microsoft sign-in is not configured: only the "
            "STAFF_BREAK_GLASS_USERS can sign in.", id="accounts.W002"))
    if settings.STAFF_SIGNIN_REQUIRED and not settings.STAFF_BREAK_GLASS_USERS:
        problems.append(Warning(
            "STAFF_SIGNIN_REQUIRED is on and STAFF_BREAK_GLASS_USERS is empty: nobody can sign in "
            "with a password if Microsoft sign-in fails.",
            hint="Name one or two break-glass accounts.", id="accounts.W003"))
    return problems
