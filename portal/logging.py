"""A last line of defence: scrub secrets that a careless log call might carry.

The code never logs secrets on purpose; this filter masks the shapes that would still slip through
(bearer tokens, X-Password headers, client_secret form fields).
"""

import logging
import re

PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)(x-password['\"]?\s*[:=]\s*['\"]?)[^'\",\s]+"),
    re.compile(r"(?i)(client_secret['\"]?\s*[:=]\s*['\"]?)[^'\"&,\s]+"),
    re.compile(r"(?i)(secretText['\"]?\s*[:=]\s*['\"]?)[^'\",\s]+"),
    re.compile(r"(?i)(ad_key['\"]?\s*[:=]\s*['\"]?)[^'\",\s]+"),
]


def redact(text: str) -> str:
    for pattern in PATTERNS:
        text = pattern.sub(r"\1[redacted]", text)
    return text


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class OneLineForbidden(logging.Filter):
    """A refused request (403) is one line with its reason, not a traceback: nothing went wrong."""

    def filter(self, record: logging.LogRecord) -> bool:
        from django.core.exceptions import PermissionDenied

        exc = record.exc_info[1] if isinstance(record.exc_info, tuple) and len(record.exc_info) > 1 else None
        if exc is None and isinstance(record.exc_info, BaseException):
            exc = record.exc_info
        if isinstance(exc, PermissionDenied):
            reason = str(exc).strip()
            record.msg = record.getMessage() + (f" ({reason})" if reason else "")
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True
