from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "onboarding"
    verbose_name = "Onboarding"

    def ready(self) -> None:
        from onboarding import receivers  # noqa: F401  (connects the signal receivers)
        from onboarding.preflight import check_tenant
        from tenants import preflight

        preflight.register(check_tenant)
