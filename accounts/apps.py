"""Staff accounts: signing in (local password with a second factor, or Microsoft Entra ID), lockout,
the profile page and personal API tokens."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Staff accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in

        import accounts.schema  # noqa: F401  registers the API token scheme with drf-spectacular
        from accounts import checks  # noqa: F401  (checks register themselves)
        from accounts.lockout import record_lockout
        from accounts.second_factor import mark_password_sign_in

        user_locked_out.connect(record_lockout, dispatch_uid="accounts.record_lockout")
        user_logged_in.connect(mark_password_sign_in, dispatch_uid="accounts.mark_password_sign_in")
