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
