"""STEP 3 guidance after the onboarding: MX records and Exchange Online PowerShell for the tenant's stack.

The per-stack hosts and IP ranges come from PROOFPOINT_STACKS_FILE (onboarding/stacks.json), never from
code (domain.md §7). A stack without published ranges (eu1) says so plainly.
"""
import json
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.shortcuts import render

from onboarding.access import get_tenant_for_user
from onboarding.models import JobKind, JobState, StepKey
from onboarding.presenters import routing_progress
from tenants.access import staff_required
from tenants.models import Lifecycle


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> dict:
    return json.loads(Path(path).read_text())


def stacks() -> dict:
    path = Path(settings.PROOFPOINT_STACKS_FILE)
    return _load(str(path), path.stat().st_mtime)


def stack_routing(stack: str) -> dict | None:
    """{"mx": [...], "outbound": host, "ip_ranges": [...], "ip_ranges_note"?} or None if unknown."""
    data = stacks().get(stack)
    return data if isinstance(data, dict) else None


@staff_required
def next_steps(request, pk: int):
    tenant = get_tenant_for_user(request.user, pk)
    onboardings = tenant.jobs.filter(kind=JobKind.ONBOARDING).order_by("-created_at", "-pk")
    latest = onboardings.first()
    # A live tenant is onboarded, whatever later jobs did (a cancelled re-run changes nothing here).
    live = tenant.lifecycle == Lifecycle.LIVE
    completed = live or bool(latest and latest.state == JobState.COMPLETED)
    job = onboardings.filter(state=JobState.COMPLETED).first() if completed else latest
    rerun = latest if live and latest and latest.pk != (job.pk if job else None) else None
    routing = stack_routing(tenant.proofpoint_stack)
    return render(request, "onboarding/next_steps.html", {
        "tenant": tenant, "job": job, "routing": routing, "rerun": rerun,
        "countdown": routing_progress(job) if job and not completed else None,
        "completed": completed,
        "ranges": ",".join(routing["ip_ranges"]) if routing and routing.get("ip_ranges") else "",
        "domains": mail_domains(tenant, job),
    })


def mail_domains(tenant, job) -> list[str]:
    """Every domain whose MX moves: the tenant's own, plus the verified mail domains the onboarding found in
    Entra ID and added to the Proofpoint org (the build step records them)."""
    found = []
    if job is not None:
        build = job.steps.filter(key=StepKey.BUILD_REPORT).values_list("data", flat=True).first() or {}
        found = build.get("domains") or []
    return list(dict.fromkeys([*tenant.all_domains, *found]))
