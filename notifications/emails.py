"""Who gets which email about a job, honouring each person's preferences
(NotificationPreference)."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse

from notifications.models import NotificationKind, NotificationPreference
from onboarding.attention import needs_attention
from onboarding.emails import send_templated
from onboarding.health import codes
from onboarding.job_page import split_codes
from onboarding.models import TenantFinding, brought_in_without_app
from onboarding.pipeline import step_titles
from onboarding.tracking import completion_times
from tenants.roles import MANAGERS

log = logging.getLogger(__name__)

# Emails to the technician who started the job, by kind.
TECHNICIAN_TEMPLATES = {
    NotificationKind.CONSENT_ANSWERED: "notifications/consent_answered",
    NotificationKind.CONSENT_DECLINED: "notifications/consent_declined",
    NotificationKind.REVIEW_READY: "notifications/review_ready",
    NotificationKind.STEP_FAILED: "notifications/step_failed",
    NotificationKind.ROUTING_READY: "notifications/routing_ready",
}
CUSTOMER_COMPLETED = "notifications/customer_completed"
DIGEST = "notifications/manager_digest"
ROTATION_FAILED = "notifications/rotation_failed"
HEALTH_CHANGED = "notifications/health_changed"


def wants(user, kind: str) -> bool:
    if not user or not user.is_active or not user.email:
        return False
    return not NotificationPreference.objects.filter(user=user, kind=kind, enabled=False).exists()


def _job_context(job) -> dict:
    """What every job email may say. Words come first; codes ("[org_missing]", request ids) only in
    a details line for support, and a step is named by its title, never its key."""
    titles = step_titles()
    failed = job.steps.filter(state="failed").first()
    failed_message = split_codes(failed.message if failed else "")
    link = job.consent_links.order_by("-created_at", "-pk").first()
    answer = split_codes(link.outcome_message if link else "")
    return {
        "job": job,
        "tenant": job.tenant,
        "job_url": f"{settings.PORTAL_BASE_URL}{job.get_absolute_url()}",
        "next_steps_url": settings.PORTAL_BASE_URL
        + reverse("tenant-next-steps", args=[job.tenant_id]),
        "step_title": titles.get(job.current_step, "") if job.current_step else "",
        "failed_step": failed,
        "failed_step_title": titles.get(failed.key, "") if failed else "",
        "failed_words": failed_message.words,
        "failed_details": failed_message.details,
        "consent_link": link,
        "answer_words": answer.words,
        "answer_details": answer.details,
        "preferences_url": f"{settings.PORTAL_BASE_URL}/preferences/",
    }


def notify_technician(kind: str, job) -> bool:
    user = job.started_by
    if not wants(user, kind):
        return False
    send_templated(user.email, TECHNICIAN_TEMPLATES[kind], _job_context(job))
    return True


def notify_customer_completed(job) -> bool:
    address = job.tenant.customer_admin_email
    if not address:
        return False
    send_templated(address, CUSTOMER_COMPLETED, {"job": job, "tenant": job.tenant})
    return True


def managers():
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    return users.filter(Q(is_superuser=True) | Q(groups__name=MANAGERS)).distinct()


def send_manager_digest() -> int:
    """Email each manager who wants it what needs attention; nothing is sent on a quiet day."""
    attention = needs_attention()
    if not attention.total:
        return 0
    context = {
        "attention": attention,
        "times": completion_times(),
        "dashboard_url": f"{settings.PORTAL_BASE_URL}/dashboard/",
        "preferences_url": f"{settings.PORTAL_BASE_URL}/preferences/",
    }
    return _send_to_managers(NotificationKind.MANAGER_DIGEST, DIGEST, context)


def notify_rotation_failures(failures: list[dict]) -> int:
    """Email each manager who wants it the tenants whose sync app secret could not be rotated.

    `failures`: {"tenant", "error"} each; the error text is what rotation.describe() gives (no
    secret).
    """
    if not failures:
        return 0
    rows = [
        {**f, "url": f"{settings.PORTAL_BASE_URL}{f['tenant'].get_absolute_url()}"}
        for f in failures
    ]
    context = {
        "failures": rows,
        "days": settings.SECRET_ROTATE_DAYS,
        "dashboard_url": f"{settings.PORTAL_BASE_URL}/dashboard/",
        "preferences_url": f"{settings.PORTAL_BASE_URL}/preferences/",
    }
    return _send_to_managers(NotificationKind.ROTATION_FAILED, ROTATION_FAILED, context)


def _send_to_managers(kind: str, template: str, context: dict) -> int:
    opted_out = set(
        NotificationPreference.objects.filter(kind=kind, enabled=False).values_list(
            "user_id", flat=True
        )
    )
    sent = 0
    for user in managers():
        if user.pk in opted_out:
            continue
        try:
            sent += send_templated(user.email, template, {**context, "user": user})
        except Exception:  # noqa: BLE001  one bad address must not stop the others
            log.exception("Could not send %s to user %s", kind, user.pk)
    return sent


def health_recipients(tenant) -> list:
    """Managers, and who started the tenant's latest job, unless they turned these emails off."""
    people = {user.pk: user for user in managers()}
    latest = tenant.jobs.select_related("started_by").order_by("-created_at", "-pk").first()
    if latest and latest.started_by and latest.started_by.is_active and latest.started_by.email:
        people.setdefault(latest.started_by.pk, latest.started_by)
    opted_out = set(
        NotificationPreference.objects.filter(
            kind=NotificationKind.HEALTH_CHANGED,
            enabled=False,
            user_id__in=people,
        ).values_list("user_id", flat=True)
    )
    return [user for pk, user in people.items() if pk not in opted_out]


def notify_health_changed(tenant, previous: str, state: str) -> int:
    """Email who asked for it that a tenant's health changed, with its open findings in words."""
    holds = not brought_in_without_app(tenant)
    findings = [
        {
            "title": codes.CODES[f.code].title,
            "message": f.message,
            "severity": f.get_severity_display(),
            "repair": codes.repair_words(f.code, holds),
            "first_seen_at": f.first_seen_at,
        }
        for f in TenantFinding.objects.filter(tenant=tenant, closed_at__isnull=True).order_by(
            "first_seen_at", "pk"
        )
    ]
    words = {"unknown": "not checked", "ok": "healthy"}
    context = {
        "tenant": tenant,
        "previous": words.get(previous, previous),
        "state": words.get(state, state),
        "findings": findings,
        "tenant_url": f"{settings.PORTAL_BASE_URL}{tenant.get_absolute_url()}",
        "preferences_url": f"{settings.PORTAL_BASE_URL}/preferences/",
    }
    sent = 0
    for user in health_recipients(tenant):
        try:
            sent += send_templated(user.email, HEALTH_CHANGED, {**context, "user": user})
        except Exception:  # noqa: BLE001  one bad address must not stop the others
            log.exception("Could not send tenant %s's health change to user %s", tenant.pk, user.pk)
    return sent
