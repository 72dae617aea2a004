"""Labels for job and step states, and durations, as people read them."""

from django import template

from onboarding.models import JobState, StepState

register = template.Library()
LABELS = {**dict(JobState.choices), **dict(StepState.choices)}


@register.filter
def state_label(state: str) -> str:
    return LABELS.get(state, state or "Not started")


@register.filter
def duration(seconds) -> str:
    seconds = int(seconds or 0)
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def lifecycle_label(state: str) -> str:
    from onboarding.tenant_view import lifecycle_label as label

    return label(state)


@register.filter
def health_label(state: str) -> str:
    from onboarding.tenant_view import health_label as label

    return label(state)
