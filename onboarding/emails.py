"""Templated HTML + text emails: one call for every email the portal sends.

`send_templated(to, "consent_request", context)` renders
`templates/emails/consent_request_subject.txt`,
`consent_request.txt` and `consent_request.html` with the same context (plus MSP_NAME and
PORTAL_BASE_URL) and sends one multipart message. The HTML template is optional.
"""

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string


def _context(context: dict) -> dict:
    return {"MSP_NAME": settings.MSP_NAME, "PORTAL_BASE_URL": settings.PORTAL_BASE_URL, **context}


def render_email(template_prefix: str, context: dict) -> tuple[str, str, str]:
    """(subject, text, html) for the prefix; html is "" when the prefix has no .html template."""
    context = _context(context)
    subject = " ".join(render_to_string(f"emails/{template_prefix}_subject.txt", context).split())
    text = render_to_string(f"emails/{template_prefix}.txt", context)
    try:
        html = render_to_string(f"emails/{template_prefix}.html", context)
    except TemplateDoesNotExist:
        html = ""
    return subject, text, html


def send_templated(
    to: str | Iterable[str], template_prefix: str, context: dict, *, reply_to=None
) -> int:
    """Render and send one email to `to` (an address or a list). Returns the number sent (0 or
    1)."""
    recipients = [to] if isinstance(to, str) else list(to)
    subject, text, html = render_email(template_prefix, context)
    message = EmailMultiAlternatives(
        subject, text, settings.DEFAULT_FROM_EMAIL, recipients, reply_to=reply_to
    )
    if html:
        message.attach_alternative(html, "text/html")
    return message.send()
