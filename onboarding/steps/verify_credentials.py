"""Step 6: the new app signs in with its secret and reads the directory, as Proofpoint will. A new
secret may be refused for a while as it spreads through Entra (domain.md §3): retried, then
failed."""

from __future__ import annotations

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations.errors import (
    PermanentError,
    TransientError,
)
from onboarding.secrets.credentials import prove_secret_works
from onboarding.steps.base import Done, Outcome, StepContext, tenant_id_of
from onboarding.sync_app import find_sync_app


# --- 6. the new credentials work
# -------------------------------------------------------------------------
def verify_credentials(ctx: StepContext) -> Outcome:
    tenant_id = tenant_id_of(ctx)
    app = find_sync_app(ctx.tenant, registered=True)
    if not app.secret:
        raise PermanentError(
            message="No client secret is stored for the app; retry 'Create the client secret'.",
            code="no_secret",
        )
    started = ctx.data.get("first_try_at") or timezone.now().isoformat()
    ctx.save_data(first_try_at=started)
    try:
        prove_secret_works(tenant_id, app, parse_datetime(started) or timezone.now())
    except TransientError:
        raise  # the secret may still be spreading: the same wait goes on at the next attempt
    except PermanentError:
        ctx.save_data(first_try_at=None)  # a Retry waits the whole window again
        raise
    ctx.save_data(first_try_at=None)
    return Done(
        "The new app signs in to the customer's tenant with its secret and reads the directory."
    )
