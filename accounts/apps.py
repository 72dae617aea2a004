"""Staff accounts: signing in (local password with a second factor, or Microsoft Entra ID), lockout,
the profile page and personal API tokens."""
from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Staff accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import checks  # noqa: F401  (checks register themselves)
