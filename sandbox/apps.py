"""Django app entry for the sandbox: it only contributes the `sandbox` management command."""

from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "sandbox"
    verbose_name = "Sandbox emulators"
