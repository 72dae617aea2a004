"""Access logs never hold an authorization code, an id token or a `state`.

The Microsoft sign-in callback arrives as /login/microsoft/callback/?code=..&state=..&session_state=
and gunicorn's access log (the request line, and the referer) and runserver's would print it whole.
`mask_signin_query` blanks those parameters' values wherever they appear in a line; the filter is
put on the `gunicorn.access` and `django.server` loggers when the accounts app loads (apps.py).
"""

import logging
import re

MASKED_PARAMETERS = ("code", "state", "id_token", "session_state", "client_info")
_QUERY_VALUE = re.compile(
    r"(?i)([?&](?:amp;)?(?:" + "|".join(MASKED_PARAMETERS) + r")=)[^&\s\"']*")


def mask_signin_query(text: str) -> str:
    """`...?code=abc&state=xyz&x=1` -> `...?code=[masked]&state=[masked]&x=1`."""
    return _QUERY_VALUE.sub(r"\1[masked]", text)


class MaskSignInQuery(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_signin_query(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


ACCESS_LOGGERS = ("gunicorn.access", "django.server")


def install() -> None:
    """Add the filter to the access loggers (once per process)."""
    for name in ACCESS_LOGGERS:
        target = logging.getLogger(name)
        if not any(isinstance(f, MaskSignInQuery) for f in target.filters):
            target.addFilter(MaskSignInQuery())
