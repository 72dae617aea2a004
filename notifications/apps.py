from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications and webhooks"

    def ready(self) -> None:
        from notifications import receivers  # noqa: F401  (subscribes to onboarding's job_event)
