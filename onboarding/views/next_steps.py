"""STEP 3 guidance after the onboarding: MX records and Exchange Online PowerShell for the tenant's
stack.

The per-stack hosts and IP ranges come from PROOFPOINT_STACKS_FILE (onboarding/stacks.json), never
from
code (domain.md §7). A stack without published ranges (eu1) says so plainly.
"""

import json
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from onboarding import audit
from onboarding.access import get_tenant_for_user
from onboarding.emails import send_templated
from onboarding.health.checks import live_mx
from onboarding.models import JobKind, JobState, NextStepTick, StepKey
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


def routing_job(tenant):
    """(the onboarding whose routing this page is about, completed?, a later re-run or None).

    A live tenant is onboarded whatever later jobs did: a cancelled re-run changes nothing here."""
    onboardings = tenant.jobs.filter(kind=JobKind.ONBOARDING).order_by("-created_at", "-pk")
    latest = onboardings.first()
    live = tenant.lifecycle == Lifecycle.LIVE
    completed = live or bool(latest and latest.state == JobState.COMPLETED)
    job = onboardings.filter(state=JobState.COMPLETED).first() if completed else latest
    rerun = latest if live and latest and job and latest.pk != job.pk else None
    return job, completed, rerun


def checklist_context(tenant) -> dict:
    """Everything the checklist, the handout and its email show: the commands, the records per
    domain, SPF and DKIM for the stack, and which items are ticked."""
    job, completed, rerun = routing_job(tenant)
    routing = stack_routing(tenant.proofpoint_stack)
    ranges = ",".join(routing["ip_ranges"]) if routing and routing.get("ip_ranges") else ""
    domains = mail_domains(tenant, job)
    ticks = set(NextStepTick.objects.filter(tenant=tenant).values_list("item", flat=True))
    return {
        "tenant": tenant,
        "job": job,
        "routing": routing,
        "rerun": rerun,
        "countdown": routing_progress(job) if job and not completed else None,
        "completed": completed,
        "ranges": ranges,
        "domains": domains,
        "mx_rows": [
            {"domain": domain, "item": f"mx:{domain}", "done": f"mx:{domain}" in ticks}
            for domain in domains
        ],
        "ticks": ticks,
        "items": CHECKLIST_ITEMS,
        "exchange_items": _exchange_items(routing, ranges, ticks) if routing else [],
        "dns_items": _dns_items(routing, domains, ticks) if routing else [],
        "auth_items": _auth_items(routing, ticks) if routing else [],
        "spf": (routing or {}).get("spf", ""),
        "spf_note": stacks().get("_spf", ""),
        "dkim_note": stacks().get("_dkim", ""),
        "total": len(CHECKLIST_ITEMS) + len(domains),
        "done_count": len(ticks & {*CHECKLIST_ITEMS, *(f"mx:{d}" for d in domains)}),
    }


CHECKLIST_ITEMS = ("transport_rule", "inbound_connector", "outbound_connector", "spf", "dkim")
RANGES_PLACEHOLDER = "<PROOFPOINT-RANGES>"


def _item(key: str, title: str, ticks: set, copy: str = "", note: str = "") -> dict:
    return {
        "id": key.replace(":", "-").replace(".", "-"),
        "item": key,
        "title": title,
        "copy": copy,
        "note": note,
        "done": key in ticks,
    }


def _exchange_items(routing: dict, ranges: str, ticks: set) -> list[dict]:
    r = ranges or RANGES_PLACEHOLDER
    return [
        _item(
            "transport_rule",
            "Transport rule: do not scan mail Proofpoint already filtered (SCL -1)",
            ticks,
            'New-TransportRule -Name "Proofpoint Essentials - bypass spam filtering" '
            f"-SenderIpRanges {r} "
            "-SetSCL -1",
        ),
        _item(
            "inbound_connector",
            "Inbound connector: accept mail from Proofpoint only, over TLS",
            ticks,
            f'New-InboundConnector -Name "Proofpoint Essentials inbound" -ConnectorType Partner '
            f"-SenderDomains * -SenderIPAddresses {r} -RestrictDomainsToIPAddresses $true "
            "-RequireTls $true",
            'Optional: Enhanced Filtering, Set-InboundConnector "Proofpoint Essentials inbound" '
            f"-EFSkipIPs {r}",
        ),
        _item(
            "outbound_connector",
            "Outbound connector: send through Proofpoint",
            ticks,
            f'New-OutboundConnector -Name "Proofpoint Essentials outbound" -ConnectorType Partner '
            f"-RecipientDomains * -UseMXRecord $false -SmartHosts {routing['outbound']} "
            "-TlsSettings EncryptionOnly",
        ),
    ]


def _dns_items(routing: dict, domains: list[str], ticks: set) -> list[dict]:
    items = []
    for domain in domains:
        records = "\n".join(
            f"{domain}.  MX  {10 * (index + 1)}  {host}."
            for index, host in enumerate(routing.get("mx", []))
        )
        items.append(
            _item(
                f"mx:{domain}",
                f"MX records of {domain}",
                ticks,
                records,
                "Replace the old MX records; mind their TTL: mail may come the old way that long.",
            )
        )
    return items


def _auth_items(routing: dict, ticks: set) -> list[dict]:
    spf = routing.get("spf", "")
    example = f"v=spf1 include:spf.protection.outlook.com {spf} -all" if spf else ""
    return [
        _item(
            "spf",
            "SPF: let Proofpoint send for each domain",
            ticks,
            example,
            stacks().get("_spf", "")
            if spf
            else "No SPF mechanism is known for this stack: take it from the Proofpoint portal.",
        ),
        _item(
            "dkim", "DKIM: sign outbound mail in Proofpoint", ticks, "", stacks().get("_dkim", "")
        ),
    ]


@staff_required
def next_steps(request, pk: int):
    tenant = get_tenant_for_user(request.user, pk)
    context = checklist_context(tenant)
    for entry in context["dns_items"]:  # what each domain's MX points to right now
        entry["mx_now"] = live_mx(entry["item"].removeprefix("mx:"), tenant.proofpoint_stack)
    return render(request, "onboarding/next_steps.html", context)


@staff_required
@require_POST
def next_steps_tick(request, pk: int):
    """Tick or untick one item (htmx: 204; a plain form goes back to the page)."""
    tenant = get_tenant_for_user(request.user, pk)
    item = request.POST.get("item", "")
    known = {*CHECKLIST_ITEMS, *(f"mx:{d}" for d in mail_domains(tenant, routing_job(tenant)[0]))}
    if item not in known:
        if request.htmx:
            return HttpResponse("Unknown checklist item.", status=400)
        messages.error(request, "That is not an item of this checklist.")
        return redirect("tenant-next-steps", pk=tenant.pk)
    if request.POST.get("done") in ("on", "true", "1"):
        NextStepTick.objects.get_or_create(
            tenant=tenant, item=item, defaults={"done_by": request.user}
        )
    else:
        NextStepTick.objects.filter(tenant=tenant, item=item).delete()
    if request.htmx:
        return HttpResponse(status=204)
    return redirect("tenant-next-steps", pk=tenant.pk)


@staff_required
def next_steps_handout(request, pk: int):
    """One printable page for the customer's IT contact."""
    tenant = get_tenant_for_user(request.user, pk)
    return render(request, "onboarding/next_steps_handout.html", checklist_context(tenant))


@staff_required
@require_POST
def next_steps_send(request, pk: int):
    """Email the handout (HTML and text) to the customer's IT contact."""
    tenant = get_tenant_for_user(request.user, pk)
    to = tenant.customer_admin_email
    if not to:
        messages.error(request, "The tenant has no customer admin email: add one (Edit) first.")
        return redirect("tenant-next-steps", pk=tenant.pk)
    sender = request.user.get_full_name() or request.user.get_username()
    send_templated(
        to,
        "next_steps_handout",
        {**checklist_context(tenant), "sender": sender},
        reply_to=[request.user.email] if request.user.email else None,
    )
    audit.record(
        "next_steps.sent",
        f"Emailed the mail-routing handout to {to}",
        request=request,
        user=request.user,
        tenant=tenant,
    )
    messages.success(request, f"The handout was emailed to {to}.")
    return redirect("tenant-next-steps", pk=tenant.pk)


def mail_domains(tenant, job) -> list[str]:
    """Every domain whose MX moves: the tenant's own, plus the verified mail domains the onboarding
    found in
    Entra ID and added to the Proofpoint org (the build step records them)."""
    found = []
    if job is not None:
        build = (
            job.steps.filter(key=StepKey.BUILD_REPORT).values_list("data", flat=True).first() or {}
        )
        found = build.get("domains") or []
    return list(dict.fromkeys([*tenant.all_domains, *found]))
