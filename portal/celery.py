"""The Celery app. Tasks live in onboarding/tasks.py and stay thin (style.md, "Celery")."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
def _check_before_the_worker_starts(sender=None, **kwargs) -> None:
    """The worker and beat run the same system checks as `manage.py check` and stop on an error,
    instead of failing each job mid-way (portal/checks.py)."""
    from portal.checks import exit_on_startup_errors

    exit_on_startup_errors("Celery worker")


@signals.beat_init.connect
def _check_before_beat_starts(sender=None, **kwargs) -> None:
    from portal.checks import exit_on_startup_errors

    exit_on_startup_errors("Celery beat")


@signals.setup_logging.connect
def _keep_django_logging(**kwargs) -> None:
    """Leave logging to Django's LOGGING (portal/settings.py, applied by django.setup()).

    Left to itself, Celery replaces the root logger's handlers with its own, which lack the
    RedactSecrets filter: a worker or beat line (a task's arguments, an error's text) would be
    written unmasked. Connected, Celery configures nothing; the level is LOG_LEVEL, not `-l`."""
