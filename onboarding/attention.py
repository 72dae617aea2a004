"""What needs a manager's attention across every client: failed jobs, unanswered consent emails,
reports waiting for review, secrets expiring or not rotated, settings not put back. Shown on the
dashboard and in the managers' daily digest.

Each list holds its first ATTENTION_SHOWN items and knows how many there are in all, counted in the
same query (a window count), so the page stays short and fast for an MSP with hundreds of failed
jobs, and still says how many there are.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, QuerySet, Window
from django.utils import timezone

from onboarding.models import (
    ConsentLink,
    ConsentState,
    JobState,
    OnboardingJob,
    RestoreState,
    SettingsSnapshot,
)
from onboarding.pipeline import step_titles
from tenants.models import EntraApplication

CONSENT_UNANSWERED_AFTER = timedelta(days=2)
REVIEW_WAITING_AFTER = timedelta(days=1)
ATTENTION_SHOWN = 10

# What the dashboard and the digest show of each item: a name, a link and a time. Only these
# columns are read, so the items do not each carry a whole tenant and user.
JOB_FIELDS = (
    "pk",
    "tenant_id",
    "state",
    "state_changed_at",
    "current_step",
    "started_by_id",
    "tenant__name",
    "started_by__username",
)
APP_FIELDS = (
    "pk",
    "tenant_id",
    "secret_key_id",
    "secret_expires_at",
    "rotation_failed_at",
    "rotation_error",
    "tenant__name",
)


class Listed(list):
    """The first ATTENTION_SHOWN items of an ordered queryset, with `in_all`: how many match."""

    def __init__(self, queryset: QuerySet):
        items = list(queryset.annotate(matching=Window(Count("pk")))[:ATTENTION_SHOWN])
        super().__init__(items)
        self.in_all = items[0].matching if items else 0

    @property
    def more(self) -> int:
        return self.in_all - len(self)


@dataclass
class Attention:
    failed: Listed
    consent_unanswered: Listed
    review_waiting: Listed
    secrets_expiring: Listed
    rotation_failed: Listed
    # Jobs whose Proofpoint settings could not be put back after a cancel or a failure.
    restore_failed: Listed

    @property
    def total(self) -> int:
        lists = (
            self.failed,
            self.consent_unanswered,
            self.review_waiting,
            self.secrets_expiring,
            self.rotation_failed,
            self.restore_failed,
        )
        return sum(listed.in_all for listed in lists)


def needs_attention(now=None) -> Attention:
    now = now or timezone.now()
    jobs = OnboardingJob.objects.select_related("tenant", "started_by").only(*JOB_FIELDS)
    failed = Listed(jobs.filter(state=JobState.FAILED).order_by("state_changed_at", "pk"))
    titles = step_titles()
    for job in failed:
        job.step_title = titles.get(job.current_step, "")  # words, not the step's key
    return Attention(
        failed=failed,
        consent_unanswered=Listed(_unanswered_consent(now)),
        review_waiting=Listed(
            jobs.filter(
                state=JobState.WAITING_REVIEW, state_changed_at__lt=now - REVIEW_WAITING_AFTER
            ).order_by("state_changed_at", "pk")
        ),
        **_secret_attention(now),
        restore_failed=Listed(
            SettingsSnapshot.objects.select_related("job__tenant")
            .only("pk", "job_id", "restore_error", "job__tenant_id", "job__tenant__name")
            .filter(restore_state=RestoreState.FAILED)
            .order_by("-restore_requested_at", "-pk")
        ),
    )


def _unanswered_consent(now) -> QuerySet:
    return (
        ConsentLink.objects.select_related("job__tenant")
        .only("pk", "job_id", "sent_to", "sent_at", "job__tenant_id", "job__tenant__name")
        .filter(
            job__state=JobState.WAITING_CUSTOMER,
            answered_at__isnull=True,
            state__in=[ConsentState.SENT, ConsentState.OPENED],
            sent_at__lt=now - CONSENT_UNANSWERED_AFTER,
        )
        .order_by("sent_at", "pk")
    )


def _secret_attention(now) -> dict:
    """Sync app secrets expiring within SECRET_ROTATE_DAYS that no rotation renewed, and failed
    rotations."""
    apps = EntraApplication.objects.select_related("tenant").only(*APP_FIELDS)
    expiring = apps.exclude(secret_key_id="").filter(
        secret_expires_at__lt=now + timedelta(days=settings.SECRET_ROTATE_DAYS),
        rotation_failed_at__isnull=True,
    )
    return {
        "secrets_expiring": Listed(expiring.order_by("secret_expires_at", "pk")),
        "rotation_failed": Listed(
            apps.filter(rotation_failed_at__isnull=False).order_by("rotation_failed_at", "pk")
        ),
    }
