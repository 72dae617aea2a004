"""Step 6: the new app signs in with its secret and reads the directory, as Proofpoint will. A new
secret may be refused for a while as it spreads through Entra (domain.md §3): retried, then
failed."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations.errors import (
    InsufficientPrivileges,
    InvalidClientCredentials,
    PermanentError,
    TransientError,
)
from onboarding import clients
from onboarding.secrets.credentials import (
    still_spreading,
)
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
    graph = clients.graph_client(tenant_id, app.client_id, app.secret)
    try:
        graph.first_user()
    except (InvalidClientCredentials, InsufficientPrivileges) as error:
        clients.forget_token(tenant_id, app.client_id)
        _still_propagating(ctx, error, parse_datetime(started))
    ctx.save_data(first_try_at=None)
    return Done(
        "The new app signs in to the customer's tenant with its secret and reads the directory."
    )


def _still_propagating(ctx: StepContext, error: PermanentError, started: datetime) -> None:
    """Raise TransientError while a new secret may still be spreading through Entra, then give
    up."""
    waited = (timezone.now() - started).total_seconds()
    limit = settings.ENTRA_SECRET_PROPAGATION_SECONDS
    if still_spreading(error) and waited < limit:
        raise TransientError(
            message=f"The new secret is not accepted yet ({error.message}); Microsoft Entra "
            "can take a minute to spread it.",
            code=error.code,
            retry_after=max(1.0, min(limit - waited, limit / 6)),
        )
    ctx.save_data(first_try_at=None)
    raise PermanentError(
        message=f"The new app still cannot sign in after {int(waited)} s: {error.message}",
        code=error.code,
    ) from error
