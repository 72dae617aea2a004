"""The managers' page: require "Sign in with Microsoft" for all but named break-glass accounts."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.shortcuts import redirect, render

from accounts.microsoft import signin_enabled
from accounts.models import SignInPolicy
from accounts.policy import effective_policy
from onboarding import audit
from tenants.access import manager_required


class SignInPolicyForm(forms.Form):
    microsoft_required = forms.BooleanField(
        required=False,
        label="Require Sign in with Microsoft for everyone except break-glass accounts",
    )
    break_glass_users = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Break-glass accounts",
        help_text="Usernames of local accounts that may still sign in with a password, one per "
        "line.",
    )

    def clean_break_glass_users(self) -> list[str]:
        text = self.cleaned_data.get("break_glass_users") or ""
        names = list(
            dict.fromkeys(p.strip() for p in text.replace(",", "\n").splitlines() if p.strip())
        )
        users = get_user_model().objects
        unknown = [
            n for n in names if not users.filter(username__iexact=n, is_active=True).exists()
        ]
        if unknown:
            raise forms.ValidationError(f"No active local account is named {', '.join(unknown)}.")
        return names

    def clean(self) -> dict:
        data = super().clean()
        if data.get("microsoft_required"):
            if not signin_enabled():
                self.add_error(
                    "microsoft_required",
                    "Microsoft sign-in is not set up on this "
                    "portal (STAFF_SIGNIN_* settings), so nobody could sign in.",
                )
            elif (
                "break_glass_users" in data
                and not data["break_glass_users"]
                and not settings.STAFF_BREAK_GLASS_USERS
            ):
                self.add_error(
                    "break_glass_users",
                    "Name at least one break-glass account, for "
                    "the day Microsoft sign-in is unavailable.",
                )
        return data


@manager_required
def sign_in_policy(request):
    stored = SignInPolicy.current()
    from_env = effective_policy().from_environment
    if request.method == "POST" and not from_env:
        form = SignInPolicyForm(request.POST)
        if form.is_valid():
            stored.microsoft_required = form.cleaned_data["microsoft_required"]
            stored.break_glass_users = "\n".join(form.cleaned_data["break_glass_users"])
            stored.updated_by = request.user
            stored.save()
            state = "required" if stored.microsoft_required else "no longer required"
            names = ", ".join(stored.usernames()) or "none"
            audit.record(
                "staff_signin_policy",
                f"Microsoft sign-in {state} for staff; break-glass accounts: {names}.",
                request=request,
            )
            messages.success(request, f"Saved: Microsoft sign-in is {state}.")
            return redirect("sign-in-policy")
    else:
        form = SignInPolicyForm(
            initial={
                "microsoft_required": stored.microsoft_required,
                "break_glass_users": "\n".join(stored.usernames()),
            }
        )
    return render(
        request,
        "accounts/sign_in_policy.html",
        {
            "form": form,
            "from_env": from_env,
            "env_users": settings.STAFF_BREAK_GLASS_USERS,
            "stored": stored,
            "signin_enabled": signin_enabled(),
        },
    )
