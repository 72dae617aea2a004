"""Proofpoint Essentials steps: prepare the org, configure the (paused) Azure sync, review, routing countdown.

Building the report and importing accounts are long enough to live beside this module
(report_build.py, import_accounts.py). Every step is idempotent: it reads what exists and adds what is
missing, so a worker killed at any line leaves a job that simply resumes.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from integrations.errors import PermanentError, ProofpointRejected, TransientError
from onboarding.classify import initial_domain, mail_domains
from onboarding.context import StepContext
from onboarding.emails import send_templated
from onboarding.graph_access import graph_client, msp_graph
from onboarding.models import JobState, OnboardingJob, Step
from onboarding.outcomes import Done, Wait
from onboarding.proofpoint_access import partner_domain, proofpoint_client
from tenants.models import DefaultRole, EntraApplication, Tenant

# Proofpoint checks the app's credentials when the settings are saved; a brand-new secret can be
# refused by Entra for a few seconds (domain.md §3, AADSTS7000215 seen 4-18 s). Retry that a few times.
SETTINGS_SAVE_RETRIES = 4
SETTINGS_SAVE_RETRY_SECONDS = 15


# --- shared helpers ------------------------------------------------------------------------------
def sync_app(tenant: Tenant) -> EntraApplication:
    """The customer's Proofpoint sync app with its secret, or a clear error if earlier steps did not make it."""
    app = EntraApplication.objects.filter(tenant=tenant).first()
    if not tenant.entra_tenant_id or app is None or not app.client_id or not app.secret:
        raise PermanentError(
            message="The Proofpoint sync app registration (or its client secret) does not exist yet. "
            "The Entra ID steps must finish first; retry them.",
            code="sync_app_missing",
        )
    return app


def sync_app_graph(tenant: Tenant):
    """Graph as the customer's NEW sync app: exactly what Proofpoint will see."""
    app = sync_app(tenant)
    return graph_client(tenant.entra_tenant_id, app.client_id, app.secret)


def azure_settings(tenant: Tenant, app: EntraApplication, frequency: int, secret: str | None = None) -> dict:
    """All 15 fields of PUT /orgs/{org}/settings/azure (domain.md §4), with our reasons.

    `secret` replaces the app's stored one (the rotation hands over its new, pending secret).
    """
    return {
        "primary_domain": tenant.primary_domain,
        "application_id": app.client_id,
        # The real secret every time: GET returns "****" and a PUT must send the secret again (§4).
        "ad_key": secret or app.secret,
        # The tenant's choice: end_user may log in to Proofpoint, silent_user may not (seed, Proofpoint part 2).
        "default_user_role_name": tenant.default_role,
        # 0 = "Never" before the review, so no scheduled sync imports anything unreviewed (§4, last
        # paragraph); the tenant's hours at approval/import.
        "sync_frequency": frequency,
        # Seed: "synchronize the user accounts according to license, active users, or disabled account".
        "sync_active_users": True,
        # §5: distribution and mail-enabled security groups become functional accounts.
        "sync_distribution_groups": True,
        "sync_security_groups": True,
        # The approved import already added and updated them; the hourly sync keeps them current.
        "add_users": True,
        "update_users": True,
        "add_groups": True,
        "update_groups": True,
        # Deleting is the tenant's explicit choice (api.md: allow_deletions, default off).
        "remove_deleted_users": tenant.allow_deletions,
        "remove_deleted_groups": tenant.allow_deletions,
        # Weak source (the field is undocumented beyond its name): silent users have no Proofpoint login,
        # so the synced accounts' login is disabled exactly when the default role is silent_user.
        "disable_login": tenant.default_role == DefaultRole.SILENT_USER,
    }


def save_azure_settings(ctx: StepContext, frequency: int) -> None:
    """PUT the settings; a refusal right after the secret was made is retried a few times, then permanent."""
    tenant = ctx.tenant
    try:
        proofpoint_client(tenant).put_azure_settings(tenant.primary_domain,
                                                     azure_settings(tenant, sync_app(tenant), frequency))
    except ProofpointRejected as error:
        if ctx.step.attempts >= SETTINGS_SAVE_RETRIES:
            raise
        raise TransientError(
            message=f"{error.message} The new client secret may not have reached every Entra server yet; "
            "trying again shortly.",
            status=error.status, service=error.service, retry_after=SETTINGS_SAVE_RETRY_SECONDS,
        ) from error


# --- prepare_org ---------------------------------------------------------------------------------
def _entra_domains(tenant: Tenant) -> list[dict]:
    """The tenant's domains from Graph, as the sync app (what Proofpoint uses) or else the MSP app."""
    app = EntraApplication.objects.filter(tenant=tenant).first()
    if app and app.client_id and app.secret and tenant.entra_tenant_id:
        return sync_app_graph(tenant).list_domains()
    if not tenant.entra_tenant_id:
        raise PermanentError(message="The customer's Entra tenant is not resolved yet; retry the first step.",
                             code="tenant_unresolved")
    return msp_graph(tenant.entra_tenant_id).list_domains()


def _new_org_body(tenant: Tenant, domains: list[str], destination: str | None) -> dict:
    admin = tenant.customer_admin_email.lower()
    if admin.rsplit("@", 1)[-1] not in domains:
        # Proofpoint wants the org's admin in one of its domains; postmaster@ exists for every mail
        # domain (RFC 2142), so it is a safe stand-in when the customer's contact is elsewhere.
        admin = f"postmaster@{tenant.primary_domain}"
    return {
        "primary_domain": tenant.primary_domain,
        "name": tenant.name,
        "type": "organization",
        "admin_user": {"primary_email": admin, "firstname": tenant.customer_admin_name or "Administrator"},
        "domains": [{"name": d, **({"destination": destination} if destination else {})} for d in domains],
        "user_licenses": settings.PROOFPOINT_NEW_ORG_USER_LICENSES,
    }


def prepare_org(ctx: StepContext):
    """The customer's org exists (or is created under the partner) and holds every verified domain."""
    tenant = ctx.tenant
    client = proofpoint_client(tenant)
    graph_domains = _entra_domains(tenant)
    wanted = sorted({tenant.primary_domain, *mail_domains(graph_domains)})
    prefix = initial_domain(graph_domains).split(".")[0]
    destination = f"{prefix}.mail.protection.outlook.com" if prefix else None
    org = client.get_org(tenant.primary_domain)
    if org is None:
        # The primary domain only: the others are added below with add_domain, which surely keeps their
        # destination (the create body's domain objects are documented with a name alone).
        org = _create_org(ctx, client, tenant, [tenant.primary_domain], destination)
    present = {d.get("name", "").lower() for d in client.list_domains(tenant.primary_domain)}
    added = [d for d in wanted if d not in present and client.add_domain(tenant.primary_domain, d, destination)]
    for domain in added:
        ctx.log(f"Added the domain {domain} to the Proofpoint org (delivering to {destination}).")
    _check_domains(client, tenant, wanted)
    ctx.save_data(org=tenant.primary_domain, domains=wanted, destination=destination)
    note = f"; added {', '.join(added)}" if added else ""
    return Done(f"Proofpoint org {tenant.primary_domain} is ready with {len(wanted)} domain(s){note}.")


def _create_org(ctx: StepContext, client, tenant: Tenant, domains: list[str], destination: str | None) -> dict:
    domain = tenant.primary_domain
    if not tenant.create_proofpoint_org:
        raise PermanentError(
            message=f"No Proofpoint organisation uses {domain}. Create it in the Proofpoint portal, or tick "
            "'Create the Proofpoint org' on the tenant.",
            code="org_missing",
        )
    org = client.create_org(partner_domain(), _new_org_body(tenant, domains, destination))  # 409 → read back: fine
    if not org:
        raise PermanentError(
            message=f"Proofpoint refused to create an org for {domain}: one of its domains belongs to another "
            "Proofpoint organisation. Remove it there, or ask Proofpoint support.",
            code="org_conflict",
        )
    ctx.log(f"Created the Proofpoint org {domain} under the partner org {partner_domain()}.")
    return org


def _check_domains(client, tenant: Tenant, wanted: list[str]) -> None:
    """A 409 on add can mean the domain is in ANOTHER org; the sync would fail, so say it now."""
    present = {d.get("name", "").lower() for d in client.list_domains(tenant.primary_domain)}
    missing = [d for d in wanted if d not in present]
    if missing:
        raise PermanentError(
            message=f"The domain(s) {', '.join(missing)} of the customer's Entra tenant could not be added to "
            f"the Proofpoint org {tenant.primary_domain}: Proofpoint says they exist, so another organisation "
            "holds them. The sync fails until every domain is in this org.",
            code="domain_elsewhere",
        )


# --- configure_sync ------------------------------------------------------------------------------
def configure_sync(ctx: StepContext):
    """Save the Azure sync settings with frequency 0 ("Never"): nothing is imported before the review."""
    save_azure_settings(ctx, frequency=0)
    return Done("Azure sync is configured in Proofpoint and paused until the report is approved.")


# --- review --------------------------------------------------------------------------------------
def review(ctx: StepContext):
    """Wait for report_queries.approve(); the technician excludes accounts meanwhile."""
    approved_at = ctx.data.get("approved_at")
    if approved_at:
        return Done(f"Approved by {ctx.data.get('approved_by', 'someone')} at {approved_at[:16].replace('T', ' ')}.")
    deadline = ctx.step.deadline_at or timezone.now() + timedelta(days=settings.REVIEW_WAIT_DAYS)
    return Wait("Review the sync report, exclude what should not be imported, then approve.",
                job_state=JobState.WAITING_REVIEW, deadline_at=deadline)


# --- routing_countdown ---------------------------------------------------------------------------
def routing_ready_at(job: OnboardingJob):
    """Set once: the import's end + ROUTING_WAIT_SECONDS (seed: wait 60 minutes before routing)."""
    if job.routing_ready_at is None:
        finished = Step.objects.filter(job=job, key="import_accounts").values_list("finished_at", flat=True).first()
        ready = (finished or timezone.now()) + timedelta(seconds=settings.ROUTING_WAIT_SECONDS)
        OnboardingJob.objects.filter(pk=job.pk, routing_ready_at__isnull=True).update(routing_ready_at=ready)
        job.refresh_from_db(fields=["routing_ready_at"])
    return job.routing_ready_at


def routing_countdown(ctx: StepContext):
    ready = routing_ready_at(ctx.job)
    if timezone.now() < ready:
        return Wait(f"Proofpoint is publishing the domains to its mail servers. Do not change MX records or "
                    f"connectors before {timezone.localtime(ready):%H:%M}.", job_state=JobState.COUNTDOWN,
                    wake_at=ready)
    if not ctx.data.get("notified"):
        _notify_routing_ready(ctx)
        ctx.save_data(notified=True)
    return Done("Mail routing can be changed now: see the next steps page.")


def _notify_routing_ready(ctx: StepContext) -> None:
    starter = ctx.job.started_by
    if starter is None or not starter.email:
        ctx.log("Nobody to email: the onboarding was started without a user email.")
        return
    link = settings.PORTAL_BASE_URL + reverse("tenant-next-steps", args=[ctx.tenant.pk])
    send_templated(starter.email, "routing_ready", {"job": ctx.job, "tenant": ctx.tenant, "next_steps_url": link,
                                                    "user": starter})
    ctx.log(f"Emailed {starter.email} that routing can be changed.")
