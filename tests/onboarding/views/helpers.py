"""Jobs built straight in the database for page and email tests, and the checks that no text a
person reads holds an internal step key or a bracketed code."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from django.utils import timezone

from onboarding.models import ConsentLink, ConsentState, JobState, OnboardingJob, Step, StepState
from onboarding.models.consent import hash_token
from onboarding.pipeline import STEPS, StepKey

# Step keys a person could mistake for a word ("review") are left out: the others never are words.
STEP_KEYS = [key.value for key in StepKey if "_" in key.value]
BRACKETED_CODE = re.compile(r"\[[A-Za-z0-9_.:\-]+\]")


def job_at(
    tenant,
    user,
    stop_at: str,
    state: str,
    *,
    stop_state: str = StepState.WAITING,
    message: str = "",
) -> OnboardingJob:
    """A job whose steps before `stop_at` succeeded, `stop_at` is in `stop_state`, the rest
    pending."""
    job = OnboardingJob.objects.create(
        tenant=tenant, started_by=user, state=state, current_step=stop_at
    )
    keys = [spec.key for spec in STEPS]
    at = keys.index(stop_at)
    now = timezone.now()
    Step.objects.bulk_create(
        Step(
            job=job,
            key=key,
            order=index,
            state=StepState.SUCCEEDED
            if index < at
            else stop_state
            if index == at
            else StepState.PENDING,
            message=(message if index == at else "Done." if index < at else ""),
            started_at=now - timedelta(seconds=75) if index <= at else None,
            finished_at=now - timedelta(seconds=60) if index < at else None,
        )
        for index, key in enumerate(keys)
    )
    return job


def sent_link(job, state: str = ConsentState.SENT, message: str = "") -> ConsentLink:
    now = timezone.now()
    return ConsentLink.objects.create(
        job=job,
        token_hash=hash_token(f"t-{job.pk}-{now.timestamp()}"),
        token="tok",
        state=state,
        sent_to=job.tenant.customer_admin_email,
        sent_at=now,
        expires_at=now + timedelta(days=2),
        outcome_message=message,
    )


def visible_text(page: str) -> str:
    """What a reader sees of an HTML page: no tags, attributes, scripts or the step logs' raw
    lines."""
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    page = re.sub(r"(?is)<details class=\"step-log\">.*?</details>", " ", page)
    return " ".join(html.unescape(re.sub(r"(?s)<[^>]+>", " ", page)).split())


def internal_words(text: str) -> list[str]:
    """Step keys and bracketed codes found in text meant for people (a "Details for support" line
    may name codes, but never in brackets)."""
    found = [key for key in STEP_KEYS if re.search(rf"\b{key}\b", text)]
    return found + BRACKETED_CODE.findall(text)


__all__ = ["JobState", "job_at", "sent_link", "visible_text", "internal_words"]
