"""Durations as managers read them on the dashboard: "2 d 3 h", "5 h 12 min", "4 min"."""

from django import template

register = template.Library()


@register.filter
def elapsed(seconds) -> str:
    if seconds is None or seconds == "":
        return ""
    minutes = int(seconds) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


@register.filter
def get_item(mapping, key):
    return mapping.get(key, key) if hasattr(mapping, "get") else key
