"""`{% staff_signin_options as signin %}`: what the login page needs to know about Microsoft
sign-in, read from settings at render time (so it holds whatever login view renders the page)."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def staff_signin_options(context) -> dict:
    from accounts.microsoft import signin_enabled
    from accounts.policy import effective_policy

    request = context.get("request")
    return {
        "enabled": signin_enabled(),
        "required": effective_policy().required,
        "password_refused": bool(getattr(request, "password_signin_refused", False)),
    }
