"""An email backend that keeps messages in the database, for `make demo` where no mail server
runs."""

from django.core.mail.backends.base import BaseEmailBackend

from onboarding.models import OutboxMessage


def _html_part(message) -> str:
    for content, mimetype in getattr(message, "alternatives", []):
        if mimetype == "text/html":
            return content
    return ""


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        for message in email_messages:
            OutboxMessage.objects.create(
                to=", ".join(message.to),
                subject=message.subject,
                body_text=message.body,
                body_html=_html_part(message),
            )
        return len(email_messages)
