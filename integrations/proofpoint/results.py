"""Reading Proofpoint Essentials answers defensively: error bodies, batch results, timestamps.

Proofpoint's own OpenAPI document warns that some types are wrong and its error bodies vary
(`message`, `error`, `errors[{status, error_message, identifier}]`, or plain text), so every parser
here accepts several shapes and never raises on an unexpected one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import requests

# Formats seen or plausible for `last_successful_sync` / `secret_expiry` besides ISO 8601.
_EXTRA_FORMATS = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M %p", "%m/%d/%Y", "%d/%m/%Y %H:%M:%S")
_MILLISECONDS_THRESHOLD = 10**11  # epoch numbers above this are milliseconds (after year 5138 in s)


def error_text(response: requests.Response) -> str:
    """Whatever explanation the error body holds, as one line."""
    try:
        body = response.json()
    except ValueError:
        return (response.text or response.reason or "").strip()[:500]
    return _explain(body) or f"HTTP {response.status_code}"


def _explain(body) -> str:
    if isinstance(body, list):
        return "; ".join(filter(None, (_explain(item) for item in body)))
    if not isinstance(body, dict):
        return str(body)
    if body.get("errors"):
        return _explain(body["errors"])
    parts = [body.get(key) for key in ("message", "error_message", "error", "detail")]
    text = "; ".join(str(p) for p in parts if p and not isinstance(p, dict | list))
    identifier = body.get("identifier")
    return f"{identifier}: {text}" if identifier and text else text


def error_items(response: requests.Response) -> list:
    """The `errors` list of an error body, if any (kept in the exception's details)."""
    try:
        body = response.json()
    except ValueError:
        return []
    return body.get("errors", []) if isinstance(body, dict) else []


@dataclass
class BatchResult:
    """Outcome of a bulk user create: per address, created, already there, or failed."""

    created: list[dict] = field(default_factory=list)
    failed: list[tuple[str, int | None, str]] = field(
        default_factory=list
    )  # (email, status, reason)
    existing: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def _email_of(item: dict) -> str:
    for key in ("primary_email", "identifier", "email"):
        if item.get(key):
            return str(item[key]).lower()
    return ""


def _status_of(item: dict) -> int | None:
    try:
        return int(item["status"])
    except (KeyError, TypeError, ValueError):
        return None


def _add_item(result: BatchResult, item: dict, by_email: dict[str, dict]) -> None:
    """File one per-item answer: no status or 2xx = created, 409 = existing, else failed."""
    email, status = _email_of(item), _status_of(item)
    if status is None or 200 <= status < 300:
        nested = item.get("user")
        user: dict = nested if isinstance(nested, dict) else item
        result.created.append(user if _email_of(user) else by_email.get(email, item))
    elif status == 409:
        result.existing.append(email)
    else:
        reason = (
            item.get("error_message")
            or item.get("message")
            or item.get("error")
            or f"HTTP {status}"
        )
        result.failed.append((email, status, str(reason)))


def parse_batch(body, sent: list[dict]) -> BatchResult:
    """Parse a 201/207 answer to a bulk create; addresses the answer never mentions count as
    failed."""
    by_email = {_email_of(user): user for user in sent}
    result = BatchResult()
    if isinstance(body, dict):
        for user in body.get("users") or []:
            _add_item(result, user, by_email)
        for error in body.get("errors") or []:
            _add_item(result, {**error, "status": error.get("status") or 400}, by_email)
    elif isinstance(body, list):
        for item in body:
            if isinstance(item, dict):
                _add_item(result, item, by_email)
    _mark_unreported(result, by_email)
    return result


def _mark_unreported(result: BatchResult, by_email: dict[str, dict]) -> None:
    seen = (
        {_email_of(u) for u in result.created}
        | set(result.existing)
        | {f[0] for f in result.failed}
    )
    for email in by_email:
        if email not in seen:
            result.failed.append(
                (
                    email,
                    None,
                    "Proofpoint's answer did not mention this address; check the org's user list.",
                )
            )


def parse_timestamp(value) -> datetime | None:
    """A timezone-aware datetime from an ISO string, epoch seconds/milliseconds, or None."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    text = str(value).strip()
    try:
        return _from_epoch(float(text))
    except ValueError:
        pass
    return _from_text(text)


def _from_epoch(number: float) -> datetime | None:
    if number <= 0:
        return None
    if number > _MILLISECONDS_THRESHOLD:
        number /= 1000
    try:
        return datetime.fromtimestamp(number, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _strptime(text: str, fmt: str) -> datetime:
    return datetime.strptime(text, fmt)


def _from_text(text: str) -> datetime | None:
    candidates: list[Callable[[str], datetime]] = [_iso]
    candidates += [functools.partial(_strptime, fmt=fmt) for fmt in _EXTRA_FORMATS]
    for parse in candidates:
        try:
            parsed = parse(text)
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None
