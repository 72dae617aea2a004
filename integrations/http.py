"""The one outbound HTTP session factory and the retry loop every vendor client uses.

Trust, timeouts and the user agent are set here once (style.md, "Outbound HTTP"). `send` retries
only
what a later attempt can fix (429, 503, 504, connection failures), honours Retry-After, and is
bounded
by attempts AND wall-clock time, so a Celery task never hangs on a throttled vendor.

Nothing here logs headers or bodies: they carry Authorization, X-Password, secrets and tokens.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests

from .errors import PermanentError, TransientError

logger = logging.getLogger("integrations.http")

RETRYABLE_STATUSES = frozenset({429, 503, 504})
# 429 and 503 mean the server did not do the work, so even a non-idempotent call may be sent again.
SAFE_TO_REPEAT_STATUSES = frozenset({429, 503})
# Response headers that identify a call in the vendor's own logs (Graph, Proofpoint).
TRACE_HEADERS = ("request-id", "client-request-id", "X-correlator")


@dataclass(frozen=True)
class OutboundConfig:
    """How every outbound call behaves; built from settings by the caller (no Django here)."""

    ca_bundle: str | None = None
    timeout: float = 30
    user_agent: str = "msp-onboarding-portal/1.0"
    max_attempts: int = 5
    max_total_seconds: float = 60
    backoff_base: float = 0.5
    backoff_cap: float = 20
    # The hosts ("host:port", see host_key) that may receive credentials: X-User/X-Password, an
    # Authorization header, a client secret in a token request. None: no credentials are sent at all
    # by this session's callers (webhooks), so nothing is checked.
    credential_hosts: frozenset[str] | None = None
    # Injectable so tests (and callers with their own clock) never really wait.
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)


DEFAULT_PORTS = {"https": 443, "http": 80}
# What a request carries that must only go to a host the operator named (domain.md §4).
PROOFPOINT_CREDENTIAL_HEADERS = ("X-User", "X-Password")
CLIENT_SECRET_FIELDS = (b"client_secret=", b"client_assertion=")


def host_key(url_or_host: str) -> str:
    """ "host:port" for a URL ("https://Example.com/api" -> "example.com:443") or a bare host entry
    ("partner.example" -> "partner.example:443", "partner.example:8443" kept)."""
    text = url_or_host.strip()
    if "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        port = None
    port = port or DEFAULT_PORTS.get(parts.scheme.lower(), 443)
    return f"{(parts.hostname or '').lower()}:{port}"


def _credentials_in(request: requests.PreparedRequest) -> str:
    """What kind of credential the request carries, in words; "" when none."""
    headers = request.headers
    if any(name in headers for name in PROOFPOINT_CREDENTIAL_HEADERS):
        return "the Proofpoint channel-admin credentials (X-User/X-Password)"
    if "Authorization" in headers:
        return "a Microsoft access token (Authorization header)"
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8", "replace")
    if isinstance(body, bytes) and any(field in body for field in CLIENT_SECRET_FIELDS):
        return "a Microsoft client secret (token request)"
    return ""


def refuse_credentials(what: str, url: str) -> PermanentError:
    host = host_key(url)
    return PermanentError(
        message=f"The portal refused to send {what} to {host}: the portal's settings do not "
        "name that host. Check the tenant's Proofpoint API URL (a white-label host must be "
        "listed in PROOFPOINT_CUSTOM_HOSTS by the operator), and MICROSOFT_LOGIN_URL, "
        "MICROSOFT_GRAPH_URL and PROOFPOINT_API_URL.",
        code="credential_host_refused",
    )


class OutboundSession(requests.Session):
    """A Session that applies a default timeout to every request, including msal's, and sends
    credentials only to the hosts it was given (checked on every request, redirects included, before
    a byte leaves)."""

    def __init__(self, timeout: float, credential_hosts: frozenset[str] | None = None):
        super().__init__()
        self.default_timeout = timeout
        self.credential_hosts = credential_hosts

    def request(self, method, url, *args, **kwargs):  # same contract as requests.Session
        kwargs.setdefault("timeout", self.default_timeout)
        return super().request(method, url, *args, **kwargs)

    def send(self, request, **kwargs):  # noqa: D102 - same contract as requests.Session
        if self.credential_hosts is not None and host_key(request.url) not in self.credential_hosts:
            what = _credentials_in(request)
            if what:
                raise refuse_credentials(what, request.url)
        return super().send(request, **kwargs)


def make_session(config: OutboundConfig) -> requests.Session:
    """The session for all calls out: our CA trust (never the environment's), timeout, user
    agent."""
    session = OutboundSession(config.timeout, config.credential_hosts)
    # trust_env=False: REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE / proxies from the environment would
    # silently override `verify` (domain.md, msal section).
    session.trust_env = False
    session.verify = config.ca_bundle or True
    session.headers["User-Agent"] = config.user_agent
    session.hooks["response"].append(_log_response)
    return session


def _log_response(response: requests.Response, *args, **kwargs) -> None:
    """Log one exchange: method, path, status, vendor trace ids, elapsed. Never headers or
    bodies."""
    request = response.request
    logger.info(
        "%s %s -> %s in %.0f ms%s",
        request.method,
        urlsplit(request.url).path,
        response.status_code,
        response.elapsed.total_seconds() * 1000,
        _trace_ids(request.headers, response.headers),
    )


def _trace_ids(request_headers: Mapping[str, str], response_headers: Mapping[str, str]) -> str:
    found = []
    for name in TRACE_HEADERS:
        value = response_headers.get(name) or request_headers.get(name)
        if value:
            found.append(f" {name}={value}")
    return "".join(found)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: integer, fractional ("2.128") or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_delay(attempt: int, config: OutboundConfig) -> float:
    """Exponential backoff with full jitter (AWS architecture blog): uniform(0, min(cap,
    base*2^n))."""
    ceiling = min(config.backoff_cap, config.backoff_base * (2 ** (attempt - 1)))
    return random.uniform(0, ceiling)


def describe_generic_error(response: requests.Response) -> tuple[str, str, str]:
    """(code, message, request id) for a response whose vendor client gave no parser."""
    return (
        "",
        f"HTTP {response.status_code} {response.reason or ''}".strip(),
        request_id_of(response),
    )


@dataclass
class _Attempts:
    """Bookkeeping for one logical call: how many tries, how long, and whether another fits."""

    config: OutboundConfig
    started: float
    count: int = 0

    def next_delay(self, retry_after: float | None) -> float | None:
        """The wait before the next try, or None when attempts or total time are used up."""
        if self.count >= self.config.max_attempts:
            return None
        delay = retry_after if retry_after is not None else backoff_delay(self.count, self.config)
        elapsed = self.config.clock() - self.started
        if elapsed + delay > self.config.max_total_seconds:
            return None
        return delay


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    config: OutboundConfig,
    service: str,
    idempotent: bool = True,
    describe_error: Callable[[requests.Response], tuple[str, str, str]] = describe_generic_error,
    **kwargs,
) -> requests.Response:
    """Send a request, retrying 429/503/504 and connection failures within the config's bounds.

    Returns the response for any other status (the vendor client maps 4xx/5xx to typed errors).
    Raises TransientError when retries run out, with (code, message, request id) taken from the last
    answer by `describe_error`; PermanentError when the server's TLS certificate is not trusted.
    `idempotent=False` (e.g. Graph addPassword) limits retries to answers that prove the server did
    nothing: 429, 503 and failures to connect.
    """
    attempts = _Attempts(config, config.clock())
    while True:
        attempts.count += 1
        try:
            response = session.request(method, url, **kwargs)
        except requests.exceptions.SSLError as exc:
            raise _tls_error(url, service) from exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            _retry_or_raise_network(exc, attempts, url, service, idempotent)
            continue
        if not _is_retryable(response.status_code, idempotent):
            return response
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        delay = attempts.next_delay(retry_after)
        if delay is None:
            raise _throttled_error(response, service, retry_after, attempts.count, describe_error)
        _log_retry(method, url, response.status_code, delay, attempts.count)
        config.sleep(delay)


def _is_retryable(status: int, idempotent: bool) -> bool:
    return status in (RETRYABLE_STATUSES if idempotent else SAFE_TO_REPEAT_STATUSES)


def _retry_or_raise_network(
    exc, attempts: _Attempts, url: str, service: str, idempotent: bool
) -> None:
    """Sleep before another try after a network failure, or raise TransientError."""
    # A read timeout on a non-idempotent call may have done the work: do not repeat it blindly.
    repeatable = idempotent or isinstance(exc, requests.ConnectTimeout)
    delay = attempts.next_delay(None) if repeatable else None
    if delay is None:
        host = urlsplit(url).hostname
        raise TransientError(
            message=f"Could not reach {service} at {host} ({type(exc).__name__}). "
            "It may be down or unreachable from the portal; the step can be retried later.",
            code=type(exc).__name__,
            service=service,
        ) from exc
    _log_retry("", url, type(exc).__name__, delay, attempts.count)
    attempts.config.sleep(delay)


def _tls_error(url: str, service: str) -> PermanentError:
    host = urlsplit(url).hostname
    return PermanentError(
        message=f"The TLS certificate of {host} is not trusted. Check OUTBOUND_CA_BUNDLE "
        "(the CA file the portal trusts) and the host name.",
        code="tls_verification_failed",
        service=service,
    )


def _throttled_error(response, service, retry_after, tries, describe_error) -> TransientError:
    code, message, request_id = describe_error(response)
    return TransientError(
        message=f"{service} is busy or unavailable (HTTP {response.status_code}) after {tries} "
        f"attempt(s): {message}",
        status=response.status_code,
        code=code,
        service=service,
        request_id=request_id or request_id_of(response),
        retry_after=retry_after,
    )


def request_id_of(response: requests.Response) -> str:
    """The vendor's id for this exchange (Graph `request-id`, Proofpoint `X-correlator`)."""
    for name in TRACE_HEADERS:
        value = response.headers.get(name) or response.request.headers.get(name)
        if value:
            return value
    return ""


def _log_retry(method: str, url: str, why, delay: float, attempt: int) -> None:
    logger.warning("%s %s: %s, retry %d in %.2f s", method, urlsplit(url).path, why, attempt, delay)
