from django.apps import AppConfig


class PortalConfig(AppConfig):
    """Registers the configuration checks; the project package doubles as an app for that."""

    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from portal import checks  # noqa: F401  (registers the system checks)
