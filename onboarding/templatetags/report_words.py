"""The report's rows in words: why a row is where it is, and what happens (or happened) to it."""

from django import template

from onboarding.report import explain

register = template.Library()


@register.filter
def reason(row) -> str:
    return explain.row_reason(row)


@register.filter
def status_words(row, allow_deletions=False) -> str:
    return explain.row_status(row, bool(allow_deletions))[0]


@register.filter
def status_tone(row, allow_deletions=False) -> str:
    return explain.row_status(row, bool(allow_deletions))[1]


@register.filter
def can_exclude(row) -> bool:
    return explain.can_exclude(row)
