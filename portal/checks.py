"""Start-up checks that name a missing or malformed setting in plain words (healthchecks hc/api/apps.py)."""

from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, Warning, register

LOOPBACK = {"127.0.0.1", "localhost", "::1", "testserver"}


def _is_production() -> bool:
    host = urlsplit(settings.PORTAL_BASE_URL).hostname or ""
    return not settings.DEBUG and host not in LOOPBACK


@register()
def check_secret_key(app_configs, **kwargs):
    if _is_production() and settings.SECRET_KEY == settings.DEV_SECRET_KEY:
        return [Error("DJANGO_SECRET_KEY is not set.", hint="Set a long random value in .env.", id="portal.E001")]
    return []


@register()
def check_encryption_keys(app_configs, **kwargs):
    problems = []
    for index, key in enumerate(settings.FIELD_ENCRYPTION_KEYS):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            problems.append(
                Error(
                    f"FIELD_ENCRYPTION_KEYS entry {index + 1} is not a Fernet key.",
                    hint="Generate one with: python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'",
                    id="portal.E002",
                )
            )
    if _is_production() and not settings.FIELD_ENCRYPTION_KEYS_FROM_ENV:
        problems.append(
            Error(
                "FIELD_ENCRYPTION_KEYS is not set: secrets would be encrypted with a key derived for development.",
                id="portal.E003",
            )
        )
    return problems


@register()
def check_external_credentials(app_configs, **kwargs):
    missing = [
        name
        for name in ("MSP_APP_CLIENT_ID", "MSP_APP_CLIENT_SECRET", "PROOFPOINT_API_USER", "PROOFPOINT_API_PASSWORD")
        if not getattr(settings, name)
    ]
    if not missing:
        return []
    return [
        Warning(
            f"{', '.join(missing)} not set: onboarding steps that need them will fail with a message saying so.",
            hint="See .env.example.",
            id="portal.W001",
        )
    ]


@register()
def check_broker(app_configs, **kwargs):
    if _is_production() and settings.CELERY_BROKER_URL.startswith("filesystem"):
        return [
            Warning(
                "CELERY_BROKER_URL is the embedded file-system broker; use Redis in production.",
                id="portal.W002",
            )
        ]
    return []


@register()
def check_cache(app_configs, **kwargs):
    if _is_production() and "redis" not in settings.CACHES["default"]["BACKEND"].lower():
        return [
            Warning(
                "CACHE_URL is not Redis: the rate limits on the public consent pages would count per machine "
                "and not atomically.",
                hint="Set CACHE_URL=redis://host:6379/1.",
                id="portal.W003",
            )
        ]
    return []


@register()
def check_ca_bundle(app_configs, **kwargs):
    from pathlib import Path

    bundle = settings.OUTBOUND_CA_BUNDLE
    if bundle and not Path(bundle).is_file():
        return [Error(f"OUTBOUND_CA_BUNDLE points to {bundle}, which is not a file.", id="portal.E004")]
    return []
