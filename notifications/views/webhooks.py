"""Managers register webhook URLs; the secret is shown once, at creation; the delivery log shows
answers."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from notifications import targets
from notifications.models import Webhook, WebhookDelivery
from notifications.webhooks import new_secret, validate_webhook_url
from onboarding import audit
from tenants.access import manager_required

LOG_SIZE = 50


class WebhookForm(forms.ModelForm):
    url = forms.URLField(
        max_length=500,
        label="URL",
        assume_scheme="https",
        validators=[validate_webhook_url],
        help_text="Job events are POSTed here as signed JSON. https:// only "
        "(http for localhost); public addresses only.",
    )

    def clean_url(self) -> str:
        """International host names are kept (and shown) in punycode: the host really called."""
        try:
            return targets.ascii_url(self.cleaned_data["url"])
        except targets.RefusedTarget:
            raise forms.ValidationError(
                "The host name is not a valid international domain name."
            ) from None

    class Meta:
        model = Webhook
        fields = ["url", "description"]


@manager_required
def webhook_list(request):
    form = WebhookForm(request.POST if request.method == "POST" else None)
    created = None
    if request.method == "POST" and form.is_valid():
        created = form.save(commit=False)
        created.secret = new_secret()
        created.created_by = request.user
        created.save()
        audit.record("webhook.created", f"Registered the webhook {created.url}", request=request)
        form = WebhookForm()
    context = {
        "form": form,
        "created": created,  # its secret is shown on this one answer only
        "webhooks": Webhook.objects.select_related("created_by"),
        "deliveries": WebhookDelivery.objects.select_related("webhook")[:LOG_SIZE],
    }
    return render(request, "notifications/webhooks.html", context)


@manager_required
@require_POST
def webhook_delete(request, pk: int):
    webhook = get_object_or_404(Webhook, pk=pk)
    webhook.delete()
    audit.record("webhook.deleted", f"Removed the webhook {webhook.url}", request=request)
    messages.success(request, f"Removed {webhook.url}; nothing more is sent there.")
    return redirect("webhooks")
