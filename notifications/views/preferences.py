"""Each person chooses which notification emails they get (no row means on)."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render

from notifications.models import NotificationKind, NotificationPreference
from tenants.access import staff_required
from tenants.roles import is_manager

MANAGERS_ONLY = {NotificationKind.MANAGER_DIGEST, NotificationKind.ROTATION_FAILED}


def kinds_for(user) -> list:
    kinds = list(NotificationKind)
    return kinds if is_manager(user) else [k for k in kinds if k not in MANAGERS_ONLY]


class PreferencesForm(forms.Form):
    def __init__(self, *args, kinds, current: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in kinds:
            self.fields[kind.value] = forms.BooleanField(
                required=False, label=kind.label, initial=current.get(kind.value, True)
            )


@staff_required
def preferences(request):
    kinds = kinds_for(request.user)
    current = dict(
        NotificationPreference.objects.filter(user=request.user).values_list("kind", "enabled")
    )
    form = PreferencesForm(
        request.POST if request.method == "POST" else None, kinds=kinds, current=current
    )
    if request.method == "POST" and form.is_valid():
        for kind in kinds:
            NotificationPreference.objects.update_or_create(
                user=request.user,
                kind=kind.value,
                defaults={"enabled": form.cleaned_data[kind.value]},
            )
        messages.success(request, "Your email choices were saved.")
        return redirect("preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "has_email": bool(request.user.email)},
    )
