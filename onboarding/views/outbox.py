"""The demo outbox: emails the portal would have sent, when no mail server is configured."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from onboarding.models import OutboxMessage
from tenants.access import staff_required


def _require_outbox():
    if not settings.DEMO_OUTBOX:
        raise Http404("The demo outbox is off: emails go to the configured mail server.")


@staff_required
def outbox(request):
    _require_outbox()
    return render(request, "onboarding/outbox.html", {"emails": OutboxMessage.objects.all()[:100]})


@staff_required
def outbox_message(request, pk: int):
    _require_outbox()
    email = get_object_or_404(OutboxMessage, pk=pk)
    return render(request, "onboarding/outbox_message.html", {"email": email})
