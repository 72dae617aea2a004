"""The "Rotate secret now" button on the tenant page: checks, then hands the rotation to a worker."""

import logging

from celery import current_app
from django.conf import settings
from django.contrib import messages
from django.db.transaction import on_commit
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from integrations.errors import PermanentError
from onboarding import audit, rotation
from onboarding.access import get_tenant_for_user
from tenants.access import staff_required

log = logging.getLogger(__name__)
ROTATE_TASK = "onboarding.rotate_secret"  # sent by name: views do not import the task module


@staff_required
@require_POST
def rotate_secret_now(request, pk: int):
    tenant = get_tenant_for_user(request.user, pk)
    try:
        rotation.rotatable_app(tenant)
    except PermanentError as error:
        messages.error(request, error.message)
        return redirect(tenant)
    audit.record("secret.rotation_requested", "Asked to rotate the sync app's client secret now",
                 request=request, tenant=tenant)
    on_commit(lambda: _send(tenant.pk, request.user.pk))
    messages.success(request, "Rotating the client secret: this takes a few seconds to a minute. Reload the page "
                     "to see the result.")
    return redirect(tenant)


def _send(tenant_id: int, user_id: int) -> None:
    try:
        current_app.send_task(ROTATE_TASK, args=[tenant_id, user_id], queue=settings.CELERY_TASK_DEFAULT_QUEUE)
    except Exception:  # noqa: BLE001  a broker hiccup must not fail the page; the daily run still rotates
        log.exception("Could not enqueue the secret rotation of tenant %s", tenant_id)
