"""Staff accounts linked to Microsoft Entra ID."""

from django.conf import settings
from django.db import models


class EntraIdentity(models.Model):
    """The Entra account (tenant + object id) a portal user signs in with. Linked by `oid`, never by
    e-mail or username: both can be changed or reused in Entra, the object id cannot."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="entra_identity")
    tenant_id = models.CharField(max_length=36)
    object_id = models.CharField(max_length=36, unique=True)
    last_username = models.CharField(max_length=254, blank=True,
                                     help_text="preferred_username at the last sign-in (display only).")
    created_at = models.DateTimeField(auto_now_add=True)
    last_signed_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Microsoft Entra identity"
        verbose_name_plural = "Microsoft Entra identities"

    def __str__(self) -> str:
        return f"{self.user} ({self.last_username or self.object_id})"
