"""Retries measured in time, not attempts: how long each kind of trouble may last before a step
stops.

A transient error is one of three kinds, each with its own time budget and backoff ceiling:
- replication: Microsoft Entra has not applied a change yet (a new app, a grant, a secret, a
  consent). Budget: the documented windows, ENTRA_REPLICATION_SECONDS
  (ENTRA_SECRET_PROPAGATION_SECONDS for the secret steps). Short, frequent retries.
- throttling: Graph or Proofpoint said "slow down" (HTTP 429): their Retry-After is honoured, within
  THROTTLE_BUDGET_MINUTES.
- outage: 5xx answers, timeouts, refused connections: OUTAGE_BUDGET_MINUTES (default 30).
When the trouble began is kept in Step.data["trouble"], so the budget survives a worker crash; it is
cleared when the step finishes, waits or fails. Backoff is capped exponential with full jitter.
"""

from __future__ import annotations

import random
from datetime import datetime

from django.conf import settings

from integrations.errors import ReplicationPending, TransientError
from onboarding.pipeline import StepKey

REPLICATION, THROTTLING, OUTAGE = "replication", "throttling", "outage"
SECRET_STEPS = frozenset({StepKey.CREATE_SECRET, StepKey.VERIFY_CREDENTIALS})
# The longest pause between two tries, per kind (a Retry-After is honoured up to the cap).
BACKOFF_CAPS = {REPLICATION: 15.0, THROTTLING: 300.0, OUTAGE: 300.0}
THROTTLE_CODES = frozenset({"too_many_requests", "TooManyRequests", "429"})


def kind_of(error: TransientError) -> str:
    if isinstance(error, ReplicationPending):
        return REPLICATION
    if error.status == 429 or error.code in THROTTLE_CODES:
        return THROTTLING
    return OUTAGE


def budget_seconds(kind: str, step_key: str) -> float:
    if kind == REPLICATION:
        if step_key in SECRET_STEPS:
            return float(settings.ENTRA_SECRET_PROPAGATION_SECONDS)
        return float(settings.ENTRA_REPLICATION_SECONDS)
    if kind == THROTTLING:
        return float(settings.THROTTLE_BUDGET_MINUTES) * 60
    return float(settings.OUTAGE_BUDGET_MINUTES) * 60


def backoff_seconds(tries: int, retry_after: float | None = None, kind: str = OUTAGE) -> float:
    """The service's Retry-After when it gave one; else exponential from STEP_RETRY_BASE_SECONDS,
    capped per kind, with jitter (half to full): jobs hit by one outage do not come back in step."""
    cap = BACKOFF_CAPS.get(kind, BACKOFF_CAPS[OUTAGE])
    if retry_after is not None and retry_after >= 0:
        return min(float(retry_after), cap)
    ceiling = min(cap, float(settings.STEP_RETRY_BASE_SECONDS) * 2 ** max(0, tries - 1))
    return random.uniform(ceiling / 2, ceiling)


def span(seconds: float) -> str:
    """ "45 s", "12 min", "2 h 5 min": a duration for people."""
    seconds = max(0, round(seconds))
    if seconds < 120:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


def _what(kind: str, error: TransientError) -> str:
    service = error.service or "An outside service"
    if kind == REPLICATION:
        return "Microsoft Entra is still applying a recent change"
    if kind == THROTTLING:
        return f"{service} asked the portal to slow down (HTTP 429)"
    return f"{service} is unavailable"


def waiting_message(
    kind: str, error: TransientError, since: datetime, when: datetime, budget: float, tries: int
) -> str:
    return (
        f"{_what(kind, error)} (since {since:%H:%M:%S} UTC, try {tries}); "
        f"trying again at {when:%H:%M:%S}, "
        f"for up to {span(budget)} in all. {error}"
    )


SETTING_OF = {
    REPLICATION: "ENTRA_REPLICATION_SECONDS",
    THROTTLING: "THROTTLE_BUDGET_MINUTES",
    OUTAGE: "OUTAGE_BUDGET_MINUTES",
}


def gave_up_message(
    kind: str, step_key: str, error: TransientError, since: datetime, elapsed: float, tries: int
) -> str:
    setting = SETTING_OF[kind]
    if kind == REPLICATION and step_key in SECRET_STEPS:
        setting = "ENTRA_SECRET_PROPAGATION_SECONDS"
    advice = {
        REPLICATION: "Microsoft usually applies changes within a minute or two; "
        "press Retry in a few minutes.",
        THROTTLING: "The service is overloaded or limits this account; press Retry later.",
        OUTAGE: "Check the service's status page and the portal's network access, "
        "then press Retry.",
    }[kind]
    return (
        f"Stopped after {span(elapsed)}: {_what(kind, error)} (since {since:%Y-%m-%d %H:%M} UTC, "
        f"{tries} tries), longer than the portal waits ({setting}). "
        f"{advice} Last problem: {error}"
    )
