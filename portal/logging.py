"""A last line of defence: scrub secrets that a careless log call might carry.

The code never logs secrets on purpose; this filter masks the shapes that would still slip through
(bearer tokens, X-Password headers, client_secret form fields), and request paths that ARE secrets:
a consent link (`/consent/<token>/`) works for whoever holds it, and the sign-in and consent
callbacks carry `state`, `code` and `id_token` in their query strings. `mask_secrets_in_path` masks
those for
every log that prints a path: gunicorn's access log (portal/gunicorn_conf.py), runserver's, Django's
request and error logging, and the error reports (SafeErrorReporterFilter).
"""

import logging
import re

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

MASK = "[masked]"
# Query parameters whose value is a credential: OAuth/OIDC callbacks and consent links.
SECRET_QUERY_PARAMS = (
    "state",
    "code",
    "id_token",
    "session_state",
    "client_info",
    "token",
    "access_token",
    "refresh_token",
    "client_secret",
)
# A path that starts with /consent/: at the start, after a space or quote (a log line) or a host.
_CONSENT_PATH = re.compile(
    r"((?:^|[\s\"'=]|//[^/\s\"']+)/consent/)(?!callback(?:[/?#\s]|$))([^/?#\s\"']+)"
)
_SECRET_PARAM = re.compile(r"(?i)([?&;](?:" + "|".join(SECRET_QUERY_PARAMS) + r")=)[^&;#\s\"']*")


def mask_secrets_in_path(path_with_query: str) -> str:
    """`/consent/<token>/go/` -> `/consent/[masked]/go/`; `?code=..&state=..` ->
    `?code=[masked]&..`.

    Works on a bare path, a path with its query, a full URL or a whole log line.
    """
    if not path_with_query:
        return path_with_query
    masked = _CONSENT_PATH.sub(lambda m: m.group(1) + MASK, path_with_query)
    return _SECRET_PARAM.sub(lambda m: m.group(1) + MASK, masked)


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
    return mask_secrets_in_path(text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class SafeErrorReporterFilter(SafeExceptionReporterFilter):
    """Error reports (the 500 email to ADMINS, the technical 500 page) without consent tokens or
    callback secrets: the path, the query, GET values, the referer and the URL kwargs are masked."""

    def get_safe_request_meta(self, request):
        meta = super().get_safe_request_meta(request)
        return {
            name: mask_secrets_in_path(value) if isinstance(value, str) else value
            for name, value in meta.items()
        }

    def get_traceback_frame_variables(self, request, tb_frame):
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return [
            (name, self.cleansed_substitute if _SECRET_NAME.search(name) else _mask_value(value))
            for name, value in variables
        ]


# Local variables of a traceback frame that hold a credential (a view's `token` argument...).
_SECRET_NAME = re.compile(r"(?i)token|state|^code$|secret|password|key")


def _mask_value(value):
    if isinstance(value, str):
        return mask_secrets_in_path(value)
    return value


class SafeErrorReporter(ExceptionReporter):
    """Masks the request's path and query before any of the report is built.

    Django uses it for the 500 email and the technical page
    (settings.DEFAULT_EXCEPTION_REPORTER)."""

    def __init__(self, request, *args, **kwargs):
        mask_request_for_report(request)
        super().__init__(request, *args, **kwargs)


def mask_request_for_report(request) -> None:
    """Mask the request's own path and GET in place before an error report renders it."""
    if request is None or getattr(request, "_secrets_masked", False):
        return
    request._secrets_masked = True
    for name in ("path", "path_info"):
        value = getattr(request, name, None)
        if isinstance(value, str):
            setattr(request, name, mask_secrets_in_path(value))
    match = getattr(request, "resolver_match", None)
    if match is not None and "token" in match.kwargs:
        match.kwargs["token"] = MASK
    query = request.META.get("QUERY_STRING", "")
    if query:
        request.META["QUERY_STRING"] = mask_secrets_in_path("?" + query)[1:]
        get = request.GET.copy()
        for key in list(get):
            if key.lower() in SECRET_QUERY_PARAMS:
                get.setlist(key, [MASK] * len(get.getlist(key)))
        request.GET = get


class OneLineForbidden(logging.Filter):
    """A refused request (403) is one line with its reason, not a traceback: nothing went wrong."""

    def filter(self, record: logging.LogRecord) -> bool:
        from django.core.exceptions import PermissionDenied

        exc = (
            record.exc_info[1]
            if isinstance(record.exc_info, tuple) and len(record.exc_info) > 1
            else None
        )
        if exc is None and isinstance(record.exc_info, BaseException):
            exc = record.exc_info
        if isinstance(exc, PermissionDenied):
            reason = str(exc).strip()
            record.msg = record.getMessage() + (f" ({reason})" if reason else "")
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True
