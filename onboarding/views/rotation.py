"""The "Rotate secret now" button on the tenant page: checks, then hands the rotation to a
worker."""

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from integrations.errors import PermanentError
from onboarding.access import get_tenant_for_user
from onboarding.secrets import rotation
from tenants.access import staff_required


@staff_required
@require_POST
def rotate_secret_now(request, pk: int):
    tenant = get_tenant_for_user(request.user, pk)
    try:
        rotation.rotatable_app(tenant)
        rotation.check_proofpoint_target(tenant)
    except PermanentError as error:
        messages.error(request, error.message)
        return redirect(tenant)
    rotation.request_rotation(tenant, request.user, request)
    messages.success(
        request,
        "Rotating the client secret: this takes a few seconds to a minute. Reload the page "
        "to see the result.",
    )
    return redirect(tenant)
