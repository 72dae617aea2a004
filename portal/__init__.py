"""Django project: settings, Celery app and URL wiring (the top floor: no app imports it)."""

from .celery import app as celery_app

__all__ = ["celery_app"]
