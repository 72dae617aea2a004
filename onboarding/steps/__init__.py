"""One module per external system: the domain logic of each onboarding step (no Celery)."""
