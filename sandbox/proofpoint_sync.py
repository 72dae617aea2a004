"""Proofpoint's scheduled Azure sync, emulated: when it would have run, whether it worked, and what
GET settings/azure then shows (`secret_expiry`, `last_successful_sync`).

No API runs a sync or shows its history (domain.md section 8); only the two timestamps are visible.
The sandbox keeps the schedule on the real clock: a sync is due every `sync_frequency` hours from
the last save, and is run lazily, when the org is next read, with the credentials as they are then.
It works when a client-credentials token can be had with the saved application id and key, the token
holds Directory.Read.All, and every verified Entra domain is in the org (domain.md section 1);
otherwise it fails and `last_successful_sync` stays where it was. A save with a frequency above 0
and working credentials runs one sync at once (a guess: the docs do not say when the first scheduled
sync runs).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from .common import clock_offset, iso, parse_iso

TIME_FORMATS = ("iso", "iso_offset", "space", "epoch", "epoch_ms", "date", "omit")


def org_keys(world, org) -> tuple[str, ...]:
    tenant = world.tenant(org.primary_domain)
    return world.tenant_keys(tenant) if tenant else (org.primary_domain,)


def sync_problem(world, org) -> str | None:
    """Why a sync with the saved settings would fail now, or None when it would work."""
    from .identity import IdentityError, issue_token
    from .tokens import unverified_claims

    azure = org.azure
    tenant = world.tenant(azure.get("primary_domain") or org.primary_domain)
    if tenant is None:
        return f"No Azure AD tenant found for domain {azure.get('primary_domain')}."
    form = {
        "grant_type": "client_credentials",
        "client_id": azure.get("application_id") or "",
        "client_secret": azure.get("ad_key") or "",
        "scope": "https://graph.microsoft.com/.default",
    }
    with clock_offset(world.knobs.get("clock_offset_s", world.tenant_keys(tenant))):
        try:
            token = issue_token(world, tenant.id, form)
        except IdentityError as failure:
            return str(failure)
    if "Directory.Read.All" not in unverified_claims(token["access_token"]).get("roles", []):
        return "The application does not have the Directory.Read.All permission."
    missing = [
        d["id"]
        for d in tenant.domains
        if d["isVerified"] and not d["isInitial"] and d["id"] not in org.domains
    ]
    if missing:
        return (
            f"The following domain(s) {', '.join(missing)} are not currently associated with your "
            "customer account."
        )
    return None


def run_sync(world, org, at: float) -> bool:
    """One sync at `at` (real epoch seconds): moves last_successful_sync when it works."""
    problem = sync_problem(world, org)
    org.sync_error = problem
    if problem is None:
        org.last_sync = at
    return problem is None


def schedule_after_save(world, org) -> None:
    """PUT settings/azure: with a frequency, a first sync now and the next one a period later."""
    frequency = int(org.azure["sync_frequency"])
    if frequency == 0:
        org.sync_next_at = None
        return
    at = time.time()
    if world.knobs.get("proofpoint_sync_runs", org_keys(world, org)):
        run_sync(world, org, at)
    org.sync_next_at = at + frequency * 3600


def advance(world, org) -> None:
    """Run the sync that was due since the org was last looked at (one run stands for all missed
    ones)."""
    azure = org.azure
    if not azure or not int(azure.get("sync_frequency") or 0) or org.sync_next_at is None:
        return
    if not world.knobs.get("proofpoint_sync_runs", org_keys(world, org)):
        return
    now = time.time()
    if now < org.sync_next_at:
        return
    period = int(azure["sync_frequency"]) * 3600
    missed = int((now - org.sync_next_at) // period)
    ran_at = org.sync_next_at + missed * period
    run_sync(world, org, ran_at)
    org.sync_next_at = ran_at + period


def live_secret_expiry(world, org) -> float | None:
    """The saved key's endDateTime as Entra holds it now (the saved value if the app is gone)."""
    azure = org.azure
    _, app = world.find_app(azure.get("application_id") or "")
    for credential in app.data["passwordCredentials"] if app else []:
        if app.secrets.get(credential["keyId"], (None,))[0] == azure.get("ad_key"):
            end = parse_iso(credential["endDateTime"])
            return end.timestamp() if end else None
    return org.secret_expiry


def render_time(value: float | None, style: str):
    """A timestamp in the chosen format (the real one is undocumented: clients must parse
    defensively)."""
    if value is None:
        return None
    moment = datetime.fromtimestamp(value, UTC)
    if style == "iso_offset":
        return moment.replace(microsecond=0).isoformat()
    if style == "space":
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    if style == "epoch":
        return int(value)
    if style == "epoch_ms":
        return int(value * 1000)
    if style == "date":
        return moment.strftime("%Y-%m-%d")
    return iso(value)


def azure_view(world, org) -> dict:
    """GET settings/azure: the 15 saved fields (key masked) plus the two timestamps."""
    advance(world, org)
    style = world.knobs.get("proofpoint_time_format", org_keys(world, org)) or "iso"
    body = {**org.azure, "ad_key": "****"}
    if style != "omit":
        body["secret_expiry"] = render_time(live_secret_expiry(world, org), style)
        body["last_successful_sync"] = render_time(org.last_sync, style)
    return body
