"""The accounts app's models: staff linked to Microsoft Entra ID, the sign-in policy, and (from
api_tokens.py, where the feature lives) hashed API tokens."""

from django.conf import settings
from django.db import models

from accounts.api_tokens import ApiToken

__all__ = ["ApiToken", "EntraIdentity", "SignInPolicy"]


class EntraIdentity(models.Model):
    """The Entra account (tenant + object id) a portal user signs in with. Linked by `oid`, never by
    e-mail or username: both can be changed or reused in Entra, the object id cannot."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="entra_identity"
    )
    tenant_id = models.CharField(max_length=36)
    object_id = models.CharField(max_length=36, unique=True)
    last_username = models.CharField(
        max_length=254,
        blank=True,
        help_text="preferred_username at the last sign-in (display only).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_signed_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Microsoft Entra identity"
        verbose_name_plural = "Microsoft Entra identities"

    def __str__(self) -> str:
        return f"{self.user} ({self.last_username or self.object_id})"


class SignInPolicy(models.Model):
    """The managers' switch (one row): require Microsoft sign-in for everyone except named
    break-glass accounts. STAFF_SIGNIN_REQUIRED in the environment overrules it (policy.py)."""

    microsoft_required = models.BooleanField(default=False)
    break_glass_users = models.TextField(blank=True, help_text="Usernames, one per line or commas.")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "staff sign-in policy"
        verbose_name_plural = "staff sign-in policy"

    def __str__(self) -> str:
        return "Microsoft sign-in required" if self.microsoft_required else "passwords allowed"

    @classmethod
    def current(cls) -> "SignInPolicy":
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    def usernames(self) -> list[str]:
        parts = self.break_glass_users.replace(",", "\n").splitlines()
        return list(dict.fromkeys(p.strip() for p in parts if p.strip()))
