"""What the job page and the API show of a job: its steps with titles, in one query."""

from django.utils import timezone

from onboarding.models import StepKey
from onboarding.pipeline import step_titles


def steps_with_titles(job):
    titles = step_titles()
    steps = list(job.steps.all())
    for step in steps:
        step.title = titles.get(step.key, step.key)
    return steps


def routing_progress(job) -> dict | None:
    """Seconds left and percent done of the routing countdown; the server clock is the truth."""
    if not job.routing_ready_at:
        return None
    from django.conf import settings

    total = max(1, settings.ROUTING_WAIT_SECONDS)
    left = max(0, int((job.routing_ready_at - timezone.now()).total_seconds()))
    return {
        "ready_at": job.routing_ready_at,
        "seconds_left": left,
        "percent": int(100 * (total - left) / total),
    }


def app_status(job) -> dict | None:
    """api.md's `app` object plus the Entra admin center link; None until the app exists. Never the
    secret."""
    from django.conf import settings

    from tenants.models import EntraApplication

    app = EntraApplication.objects.filter(tenant_id=job.tenant_id).first()
    if app is None or not app.client_id:
        return None
    return {
        "client_id": app.client_id,
        "tenant_id": job.tenant.entra_tenant_id,
        "secret_hint": app.secret_hint or None,
        "secret_expires_at": app.secret_expires_at,
        "admin_center_url": f"{settings.ENTRA_ADMIN_CENTER_URL}/#view/Microsoft_AAD_RegisteredApps/"
        f"ApplicationMenuBlade/~/Overview/appId/{app.client_id}",
    }


FAILED_ROWS_SHOWN = 50


def report_status(job, steps) -> dict | None:
    """The report panel: section counts and the accounts Proofpoint refused. None before the report
    exists."""
    states = {step.key: step.state for step in steps}
    if states.get(StepKey.BUILD_REPORT) != "succeeded":
        return None
    from onboarding.models import ImportState
    from onboarding.report.explain import outcome, section_tabs
    from onboarding.report.queries import summary

    failed = job.report_rows.filter(import_state=ImportState.FAILED).order_by("email")
    counts = summary(job)
    plan = None
    if job.state == "waiting_review":
        from onboarding.report.explain import licence_fit
        from onboarding.views.report import (
            approval_plan,
            org_figures,
        )  # the report page's own sentence

        job.licence_fit = licence_fit(job, org_figures(job))
        plan = approval_plan(job, counts)
    return {
        "plan": plan,
        "summary": counts,
        "tabs": section_tabs(counts),
        "outcome": outcome(job) if states.get("import_accounts") == "succeeded" else None,
        "failed": list(failed.values("email", "import_error")[:FAILED_ROWS_SHOWN]),
        "failed_count": failed.count() if states.get(StepKey.IMPORT_ACCOUNTS) == "succeeded" else 0,
        "importing": states.get(StepKey.IMPORT_ACCOUNTS) in ("running", "succeeded"),
    }


def job_view(job) -> dict:
    from onboarding.consent.links import consent_status
    from onboarding.job_page import consent_words, job_actions, present_steps

    steps = present_steps(job, steps_with_titles(job))
    consent = consent_words(consent_status(job), steps)
    return {
        "job": job,
        "tenant": job.tenant,
        "steps": steps,
        "report": report_status(job, steps),
        "routing": routing_progress(job),
        "consent": consent,
        "actions": job_actions(job, steps, consent),
        "app": app_status(job),
        "finished": job.state in ("completed", "cancelled", "failed"),
        "restore": _restore_of(job),
    }


def _restore_of(job):
    """What the undo of the job's Proofpoint settings did (None when the job changed none)."""
    from onboarding.models import SettingsSnapshot

    return SettingsSnapshot.objects.filter(job=job).first()
