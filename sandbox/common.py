"""Small shared helpers: deterministic ids, clocks and timestamps in the vendors' formats."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

# One namespace for every id the sandbox derives, so ids survive restarts.
NAMESPACE = uuid.UUID("6f1c5a3e-2d4b-5c8a-9e7f-0a1b2c3d4e5f")

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"


def guid(*parts: object) -> str:
    """A stable GUID from names (uuid5), e.g. guid("tenant", "fabrikam.example")."""
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def random_guid() -> str:
    return str(uuid.uuid4())


# The `clock_offset_s` knob: the sandbox's notion of now, per request (see Service.dispatch), so one
# tenant can live in the future (its secrets expired, its tokens stale) while the others do not.
_clock_offset: ContextVar[float] = ContextVar("sandbox_clock_offset", default=0.0)


@contextmanager
def clock_offset(seconds: float | None) -> Iterator[None]:
    """Shift now() and utcnow() by `seconds` for the code run inside (this thread/context only)."""
    token = _clock_offset.set(float(seconds or 0))
    try:
        yield
    finally:
        _clock_offset.reset(token)


def now() -> float:
    """The sandbox's clock in seconds (wall clock + clock offset), for visibility and expiry."""
    return time.time() + _clock_offset.get()


def utcnow() -> datetime:
    return datetime.now(UTC) + timedelta(seconds=_clock_offset.get())


def iso(dt: datetime | float | None = None) -> str:
    """Graph's timestamp format: 2024-05-01T12:00:00Z (whole seconds, UTC)."""
    if dt is None:
        dt = utcnow()
    if isinstance(dt, int | float):
        dt = datetime.fromtimestamp(dt, UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime | None:
    """Parse the ISO 8601 forms clients send (Z or offset, with or without fractions)."""
    if not isinstance(text, str) or not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def years_from_now(years: int) -> datetime:
    return utcnow() + timedelta(days=365 * years + years // 4)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def opaque_id(*parts: object) -> str:
    """Graph's appRoleAssignment / oauth2PermissionGrant ids: 43 url-safe base64 characters."""
    seed = "/".join(str(p) for p in parts) if parts else secrets.token_hex(16)
    return b64url(hashlib.sha256(seed.encode()).digest())[:43]


def secret_text() -> str:
    """A client secret shaped like Entra's: 3 chars, '8Q~', then 34 more (40 in all)."""
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.~"
    head = "".join(secrets.choice(alphabet[:62]) for _ in range(3))
    tail = "".join(secrets.choice(alphabet) for _ in range(34))
    return f"{head}8Q~{tail}"


def ms_timestamp() -> str:
    """The identity platform's error timestamp: 2024-05-01 12:00:00Z."""
    return utcnow().strftime("%Y-%m-%d %H:%M:%SZ")
