"""`{{ value|when }}`: a <time> element that names its time zone, with the full time on hover.

The server writes the time in the portal's zone with the zone's name (never a bare "14:02");
static/portal/localtime.js then rewrites each element into the viewer's own zone (the browser's,
or the `data-zone` on <body> when the person chose one), keeping the full time as the tooltip.
"""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html

register = template.Library()
# What each style shows; the tooltip is always the full date, time and zone.
FORMATS = {"datetime": "%Y-%m-%d %H:%M", "date": "%Y-%m-%d", "time": "%H:%M", "seconds": "%H:%M:%S"}


@register.filter
def when(value: datetime | None, style: str = "datetime") -> str:
    if not value:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    zone = local.tzname() or ""
    shown = local.strftime(FORMATS.get(style, FORMATS["datetime"]))
    full = local.strftime("%A %d %B %Y, %H:%M:%S ") + zone
    return format_html(
        '<time datetime="{}" data-style="{}" title="{}">{} {}</time>',
        value.isoformat(),
        style if style in FORMATS else "datetime",
        full.strip(),
        shown,
        zone,
    )


@register.filter
def elapsed_words(seconds) -> str:
    """12 s, 3 min 4 s, 2 h 5 min: how long something has been going."""
    seconds = max(0, int(seconds or 0))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"
