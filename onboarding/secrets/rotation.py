"""Rotate the Proofpoint sync app's client secret before it lapses (domain.md §6).

When the secret expires, Proofpoint's sync silently stops adding and removing users while mail keeps
flowing. So: addPassword (new) → a token with it works → PUT settings/azure with the new `ad_key` →
removePassword (old) → the new secret becomes the stored one.

Crash-safe at every line, because every step leaves state a re-run reads:
- the attempt's display name is saved before addPassword; a re-run that finds no pending secret
removes
  every secret with our prefix but the current one (addPassword may have worked, but its secretText
  is
  lost), then adds a new one;
- the new secret is saved encrypted as *pending* right after addPassword; a re-run verifies it and
hands
  it to Proofpoint again (both idempotent) and removes the old one only if it is still there;
- the old secret is removed only once Proofpoint accepted the new one, so Proofpoint never holds a
dead
  secret; promoting pending to current is one UPDATE.
One rotation runs at a time per app (a claim with a conditional UPDATE that lapses if a worker
dies).
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations.errors import (
    InsufficientPrivileges,
    IntegrationError,
    InvalidClientCredentials,
    PermanentError,
    ProofpointRejected,
    TransientError,
)
from integrations.proofpoint.client import SYNC_FREQUENCIES
from onboarding import audit, clients
from onboarding.clients import proofpoint_client
from onboarding.engine import dispatch, events
from onboarding.models import HALTED_JOB_STATES, JobState
from onboarding.secrets.credentials import (
    SECRET_PREFIX,
    add_password,
    remove_leftovers,
    still_spreading,
)
from onboarding.sync_app import azure_settings, find_sync_app
from onboarding.tracking import latest_job_of
from tenants.models import EntraApplication, Lifecycle, Tenant

log = logging.getLogger(__name__)
ROTATE_TASK = "onboarding.rotate_secret"  # sent by name: this module does not import the tasks

# Longer than one run can take (the propagation wait twice, plus a few calls); a killed worker's
# claim lapses.
CLAIM = timedelta(minutes=15)
RETRY_PAUSE_SECONDS = 2.0
PENDING_CLEARED = {
    "pending_secret": "",
    "pending_key_id": "",
    "pending_hint": "",
    "pending_expires_at": None,
}


class RotationInProgress(PermanentError):
    """Another rotation of this app holds the claim."""


@dataclass
class Rotation:
    """One run: the tenant, its app (re-read after the claim) and who asked (None: the daily
    task)."""

    tenant: Tenant
    app: EntraApplication
    actor: object = None

    def audit(self, action: str, text: str) -> None:
        audit.record(action, text, user=self.actor, tenant=self.tenant)

    def log(self, text: str) -> None:
        log.info("Secret rotation for %s: %s", self.tenant.primary_domain, text)

    def save(self, **values) -> None:
        """Persist state at once, so a crash on the next line still finds it."""
        values["updated_at"] = timezone.now()
        EntraApplication.objects.filter(pk=self.app.pk).update(**values)
        for name, value in values.items():
            setattr(self.app, name, value)


# --- the rotation
# ------------------------------------------------------------------------------------
def rotate_secret(tenant: Tenant, actor=None) -> str:
    """Rotate the tenant's sync app secret, or carry on with an interrupted rotation. Returns a
    summary."""
    app = rotatable_app(tenant)
    _claim(app)
    run = Rotation(tenant, app, actor)
    try:
        app.refresh_from_db()
        summary = _rotate(run)
    except Exception as error:
        _record_failure(app, error)
        raise
    finally:
        EntraApplication.objects.filter(pk=app.pk).update(rotation_claimed_until=None)
    return summary


def request_rotation(tenant: Tenant, actor, request=None) -> None:
    """Hand a rotation to a worker ("Rotate secret now"); call rotatable_app() first for a clear
    refusal."""
    audit.record(
        "secret.rotation_requested",
        "Asked to rotate the sync app's client secret now",
        request=request,
        user=actor,
        tenant=tenant,
    )
    dispatch.enqueue(ROTATE_TASK, [tenant.pk, actor.pk if actor else None])


def rotatable_app(tenant: Tenant) -> EntraApplication:
    """The tenant's sync app with a stored secret, while no onboarding of the tenant is under
    way."""
    app = find_sync_app(tenant, registered=True, with_secret=True)
    if tenant.jobs.exclude(state__in=HALTED_JOB_STATES).exists():
        # The onboarding's own secret steps would take the pending secret for a leftover.
        raise PermanentError(
            message=f"An onboarding of {tenant.name} is under way; rotate the secret once it "
            "has finished.",
            code="onboarding_running",
        )
    return app


def check_proofpoint_target(tenant: Tenant) -> None:
    """A PermanentError in words when the tenant's Proofpoint URL is on a host the operator did not
    allow: the button refuses at once (the run itself checks again, before Entra is touched)."""
    clients.api_url(tenant)


def _claim(app: EntraApplication) -> None:
    now = timezone.now()
    free = Q(rotation_claimed_until__isnull=True) | Q(rotation_claimed_until__lt=now)
    if (
        EntraApplication.objects.filter(free, pk=app.pk).update(rotation_claimed_until=now + CLAIM)
        != 1
    ):
        raise RotationInProgress(
            message="A rotation of this secret is already running; its result will show on "
            "the tenant page.",
            code="rotation_in_progress",
        )


def _rotate(run: Rotation) -> str:
    # The Proofpoint target is checked first: a tenant whose URL names a host the operator did not
    # allow fails here, before Entra is touched (no new secret, the old one kept).
    proofpoint_client(run.tenant)
    graph = clients.msp_graph(run.tenant.entra_tenant_id)
    app = run.app
    if app.pending_key_id and not _exists(graph, app, app.pending_key_id):
        run.log("The pending secret is gone from the app registration; starting over.")
        run.save(**PENDING_CLEARED)
    if not app.pending_secret:
        _add_pending(run, graph)
    _verify_pending(run)
    in_proofpoint = _hand_to_proofpoint(run)
    _remove_old(run, graph)
    _promote(run)
    where = (
        "Proofpoint's Azure sync uses it"
        if in_proofpoint
        else "Proofpoint has no Azure sync settings to update"
    )
    return (
        f"Client secret rotated: the new one (hint {app.secret_hint}…) expires "
        f"{app.secret_expires_at:%Y-%m-%d}; {where}; the old one is removed."
    )


def _exists(graph, app: EntraApplication, key_id: str) -> bool:
    return any(c.get("keyId") == key_id for c in graph.list_password_credentials(app.object_id))


def _add_pending(run: Rotation, graph) -> None:
    app = run.app
    if app.rotation_attempt_name:
        run.log(
            f"An earlier attempt ('{app.rotation_attempt_name}') was interrupted; removing what it "
            "left."
        )
    # Whatever carries our prefix but is not the current secret is unusable: we do not hold its
    # secretText.
    remove_leftovers(graph, app, [app.secret_key_id], run.audit)
    name = f"{SECRET_PREFIX}rotation {app.pk}-{uuid.uuid4().hex[:12]}"
    run.save(
        rotation_attempt_name=name
    )  # before addPassword, so a crash right after it is recognisable
    # https://learn.microsoft.com/en-us/graph/api/application-addpassword
    created, lifetime = add_password(graph, app, name, run.log)
    run.save(
        pending_secret=created["secretText"],
        pending_key_id=created["keyId"],
        pending_hint=created.get("hint") or "",
        rotation_attempt_name="",
        pending_expires_at=parse_datetime(created.get("endDateTime") or ""),
    )
    run.audit(
        "entra.secret_added",
        f"Added the client secret '{name}' (keyId {created['keyId']}, valid {lifetime}, "
        f"expires {app.pending_expires_at:%Y-%m-%d}) to replace the one expiring "
        f"{app.secret_expires_at:%Y-%m-%d}; stored encrypted until Proofpoint has it.",
    )


def _verify_pending(run: Rotation) -> None:
    """A token with the new secret, retried while Entra spreads it (AADSTS7000215, seen 4-18 s)."""
    tenant, app = run.tenant, run.app
    limit = settings.ENTRA_SECRET_PROPAGATION_SECONDS
    deadline = time.monotonic() + limit
    while True:
        try:
            clients.graph_client(
                tenant.entra_tenant_id, app.client_id, app.pending_secret
            ).first_user()
            return
        except (InvalidClientCredentials, InsufficientPrivileges) as error:
            clients.forget_token(tenant.entra_tenant_id, app.client_id)
            if not still_spreading(error):
                raise
            if time.monotonic() >= deadline:
                raise TransientError(
                    message=f"Microsoft Entra does not accept the new client secret yet after "
                    f"{limit} s ({error.message}); the next run carries on with it.",
                    code=error.code,
                    retry_after=float(limit),
                ) from error
        time.sleep(RETRY_PAUSE_SECONDS)


def _hand_to_proofpoint(run: Rotation) -> bool:
    """PUT settings/azure with the new secret, keeping the org's sync frequency. False if there are
    none."""
    tenant, app = run.tenant, run.app
    client = proofpoint_client(tenant)
    current = client.get_azure_settings(tenant.primary_domain)
    if current is None:
        run.log("Proofpoint has no Azure sync settings for this org; nothing to update there.")
        return False
    frequency = current.get("sync_frequency")
    tenant.refresh_from_db(fields=["lifecycle", "sync_frequency_hours"])
    # A live tenant's sync never stays paused: 0 ("Never") is kept only for an unreviewed first
    # import.
    if frequency not in SYNC_FREQUENCIES or (frequency == 0 and tenant.lifecycle == Lifecycle.LIVE):
        frequency = tenant.sync_frequency_hours
    body = azure_settings(tenant, app, frequency, secret=app.pending_secret)
    _put_until_accepted(client, tenant, body)
    run.audit(
        "proofpoint.settings_updated",
        f"Saved the new client secret (hint {app.pending_hint}…) in the Azure "
        f"sync settings of the Proofpoint org {tenant.primary_domain} (sync frequency {frequency} "
        "h kept).",
    )
    return True


def _put_until_accepted(client, tenant: Tenant, body: dict) -> None:
    """Proofpoint signs in with the secret on save; an Entra server that has not seen it yet says
    400."""
    limit = settings.ENTRA_SECRET_PROPAGATION_SECONDS
    deadline = time.monotonic() + limit
    while True:
        try:
            # PUT /orgs/{org}/settings/azure (Proofpoint Essentials API v1, "Azure AD sync")
            client.put_azure_settings(tenant.primary_domain, body)
            return
        except ProofpointRejected as error:
            if error.status != 400:
                raise
            if time.monotonic() >= deadline:
                raise TransientError(
                    message=f"{error.message} The new secret may not have reached every Entra "
                    "server yet; the next run tries again, the old secret stays in use meanwhile.",
                    status=error.status,
                    service=error.service,
                ) from error
        time.sleep(RETRY_PAUSE_SECONDS)


def _remove_old(run: Rotation, graph) -> None:
    app = run.app
    old = app.secret_key_id
    if old and old != app.pending_key_id and _exists(graph, app, old):
        # https://learn.microsoft.com/en-us/graph/api/application-removepassword
        graph.remove_password(app.object_id, old)
        run.audit(
            "entra.secret_removed",
            f"Removed the old client secret (keyId {old}, hint {app.secret_hint}…, "
            f"expiring {app.secret_expires_at:%Y-%m-%d}) now that Proofpoint uses the new one.",
        )
    # An interrupted attempt's secret that Graph did not list yet when the rotation began (the old
    # one is
    # kept out: a read that lags behind the removal above would remove it twice).
    remove_leftovers(graph, app, [app.pending_key_id, old], run.audit)


def _promote(run: Rotation) -> None:
    app = run.app
    run.save(
        secret=app.pending_secret,
        secret_key_id=app.pending_key_id,
        secret_hint=app.pending_hint,
        secret_expires_at=app.pending_expires_at,
        rotation_attempt_name="",
        rotated_at=timezone.now(),
        rotation_failed_at=None,
        rotation_error="",
        **PENDING_CLEARED,
    )
    run.log(f"Rotated; the new secret expires {app.secret_expires_at:%Y-%m-%d}.")


def describe(error: Exception) -> str:
    """What a technician reads about a failure (never an arbitrary exception's text: it might hold a
    secret)."""
    if isinstance(error, IntegrationError):
        return str(error)
    return f"Unexpected error ({type(error).__name__}); see the worker log."


def _record_failure(app: EntraApplication, error: Exception) -> None:
    if not isinstance(error, IntegrationError):
        log.exception("Secret rotation for app %s failed", app.pk)
    EntraApplication.objects.filter(pk=app.pk).update(
        rotation_failed_at=timezone.now(), rotation_error=describe(error)[:2000]
    )


# --- what is due, and the daily run
# -------------------------------------------------------------------
def rotate_before(now=None):
    """Secrets expiring before this moment are due."""
    return (now or timezone.now()) + timedelta(days=settings.SECRET_ROTATE_DAYS)


def due_for_rotation(now=None):
    """Apps whose secret expires within SECRET_ROTATE_DAYS, of tenants whose latest onboarding
    completed."""
    latest = latest_job_of(OuterRef("tenant"))
    return (
        EntraApplication.objects.select_related("tenant")
        .defer("secret", "pending_secret")
        .exclude(secret_key_id="")
        .filter(secret_expires_at__lt=rotate_before(now))
        .annotate(latest_job_state=Subquery(latest.values("state")[:1]))
        # A live tenant stays due after a cancelled or failed re-run (its sync still needs the
        # secret).
        .filter(
            Q(latest_job_state=JobState.COMPLETED)
            | Q(tenant__lifecycle=Lifecycle.LIVE, latest_job_state__in=HALTED_JOB_STATES)
        )
        .order_by("secret_expires_at", "pk")
    )


def rotate_expiring_secrets(now=None) -> dict:
    """Rotate every due secret; one tenant's failure is recorded and mailed, and the others go
    on."""
    rotated, failed = 0, []
    for app in list(due_for_rotation(now)):
        try:
            rotate_secret(app.tenant)
        except RotationInProgress:
            continue
        except Exception as error:  # noqa: BLE001  one tenant's failure must not stop the others
            log.warning(
                "Secret rotation for %s failed: %s", app.tenant.primary_domain, describe(error)
            )
            failed.append({"tenant": app.tenant, "error": describe(error)})
        else:
            rotated += 1
    if failed:
        # Announce rather than email: onboarding knows nothing of the notifications app that
        # listens.
        events.secret_rotation_failed.send(sender=EntraApplication, failures=failed)
    return {"rotated": rotated, "failed": len(failed)}


def expires_soon(app: EntraApplication | None, now=None) -> bool:
    return bool(app and app.secret_expires_at and app.secret_expires_at < rotate_before(now))
