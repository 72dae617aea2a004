"""Step 2: the MSP's onboarding app must be allowed into the customer's tenant.

Consent is proven, never assumed: a client-credentials token for the MSP app in that tenant AND a
Graph
call that succeeds (domain.md §2). Until then the step emails a link and waits for the callback."""

from __future__ import annotations

from onboarding.consent import links
from onboarding.models import ConsentPurpose
from onboarding.steps.base import Done, Outcome, StepContext, tenant_id_of
from onboarding.steps.consent_wait import ensure_link_sent, msp_consent_missing, wait_for_customer


def customer_consent(ctx: StepContext) -> Outcome:
    tenant_id = tenant_id_of(ctx)
    why_not = msp_consent_missing(tenant_id)
    link = links.latest_link(ctx.job, ConsentPurpose.MSP_APP)
    if why_not is None:
        if link is None:
            return Done(
                "Consent already in place: the onboarding app can work in the customer's tenant."
            )
        return Done(
            "The customer approved consent: the onboarding app can now work in their tenant."
        )
    link = ensure_link_sent(ctx, ConsentPurpose.MSP_APP)
    return wait_for_customer(ctx, link, why_not)
