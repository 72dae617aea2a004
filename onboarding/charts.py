"""Small server-rendered SVG charts for the dashboard (no chart library, no CDN, nothing inline that
the CSP forbids: SVG presentation attributes only). Each bar and point carries a <title> so the
figure is readable on hover and by screen readers; the numbers are also in a table beside it."""

from __future__ import annotations

import statistics
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Aggregate, Count, DurationField, F, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from onboarding.models import JobKind, JobState, OnboardingJob
from tenants.models import HealthState, Lifecycle, Tenant

WIDTH, HEIGHT, PAD = 560, 160, 28


def _week_starts(weeks: int, now: datetime) -> list[datetime]:
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def _onboardings():
    return OnboardingJob.objects.filter(kind=JobKind.ONBOARDING)


def _week_of(field: str) -> TruncWeek:
    """The Monday (in the portal's time zone) of a moment, computed by the database."""
    return TruncWeek(field, tzinfo=timezone.get_current_timezone())


def _monday_key(value) -> date:
    """TruncWeek's answer as a date (a datetime on PostgreSQL, maybe naive on SQLite)."""
    return value.date() if isinstance(value, datetime) else value


def onboardings_per_week(weeks: int = 12, now: datetime | None = None) -> list[dict]:
    """Onboardings started per week (Monday first) and how many of those completed, oldest first.

    Counted by the database, one row a week: a large MSP's thousands of onboardings in the window
    never come into Python."""
    starts = _week_starts(weeks, now or timezone.now())
    counted = (
        _onboardings()
        .filter(created_at__gte=starts[0])
        .annotate(week=_week_of("created_at"))
        .values("week")
        .annotate(started=Count("pk"), completed=Count("pk", filter=Q(state=JobState.COMPLETED)))
    )
    by_week = {_monday_key(row["week"]): row for row in counted}
    return [
        {
            "week": start,
            "started": by_week.get(start.date(), {}).get("started", 0),
            "completed": by_week.get(start.date(), {}).get("completed", 0),
        }
        for start in starts
    ]


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-9 * len(ordered) // 10) - 1)]  # nearest rank


class _Percentile(Aggregate):
    """PostgreSQL's ordered-set aggregates: PERCENTILE_CONT (interpolated, the median) and
    PERCENTILE_DISC (nearest rank, the p90), over an interval."""

    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()

    def __init__(self, expression, fraction: float, discrete: bool = False):
        self.function = "PERCENTILE_DISC" if discrete else "PERCENTILE_CONT"
        super().__init__(expression, fraction=float(fraction))


def _completed_in(starts: list[datetime]):
    """Tenants whose first onboarding completed in the window, with how long it took: a re-run or
    a repair of a live tenant is not a time to onboard."""
    return (
        Tenant.objects.filter(onboarded_in__isnull=False, live_since__gte=starts[0])
        .annotate(week=_week_of("live_since"))
        .annotate(took=F("onboarded_in"))
    )


def _hours(value: timedelta | None) -> float | None:
    return value.total_seconds() / 3600 if value is not None else None


def _times_by_week(starts: list[datetime]) -> dict:
    """{monday: (count, median hours, p90 hours)} of the onboardings completed each week."""
    completed = _completed_in(starts)
    if connection.vendor == "postgresql":
        rows = completed.values("week").annotate(
            count=Count("pk"),
            median=_Percentile("took", 0.5),
            p90=_Percentile("took", 0.9, discrete=True),
        )
        return {
            _monday_key(r["week"]): (r["count"], _hours(r["median"]), _hours(r["p90"]))
            for r in rows
        }
    # SQLite (the embedded default, a small portal): the week's durations, summarised here.
    hours: dict = {}
    for week, took in completed.values_list("week", "took"):
        hours.setdefault(_monday_key(week), []).append(took.total_seconds() / 3600)
    return {w: (len(h), statistics.median(h), _p90(h)) for w, h in hours.items()}


def time_to_onboard(weeks: int = 12, now: datetime | None = None) -> list[dict]:
    """Median and p90 hours from start to completion of the first onboardings completed each
    week."""
    starts = _week_starts(weeks, now or timezone.now())
    by_week = _times_by_week(starts)
    result = []
    for start in starts:
        count, median, p90 = by_week.get(start.date(), (0, None, None))
        result.append({"week": start, "count": count, "median": median, "p90": p90})
    return result


def _scale(top: float) -> float:
    return (HEIGHT - 2 * PAD) / top if top else 0


def _label(x: float, text: str) -> str:
    return f'<text x="{x:.1f}" y="{HEIGHT - 8}" font-size="10" fill="#6c757d">{escape(text)}</text>'


def bars_svg(weeks: list[dict]) -> SafeString:
    """Started (light) and completed (dark) onboardings per week."""
    top = max([w["started"] for w in weeks] + [1])
    scale, slot = _scale(top), (WIDTH - 2 * PAD) / max(1, len(weeks))
    bars = []
    for index, week in enumerate(weeks):
        x = PAD + index * slot
        label = week["week"].strftime("%d %b")
        for value, offset, fill, what in (
            (week["started"], 0.1, "#9ec5fe", "started"),
            (week["completed"], 0.5, "#0d6efd", "completed"),
        ):
            height = value * scale
            bars.append(
                f'<rect x="{x + slot * offset:.1f}" y="{HEIGHT - PAD - height:.1f}" '
                f'width="{slot * 0.38:.1f}" height="{height:.1f}" fill="{fill}">'
                f"<title>Week of {escape(label)}: {int(value)} {what}</title></rect>"
            )
        if index % 2 == 0:
            bars.append(_label(x + 2, label))
    return _frame("Onboardings per week: started and completed", top, "", "".join(bars))


def lines_svg(weeks: list[dict]) -> SafeString:
    """Median (solid) and p90 (dashed) hours to onboard, per week of completion."""
    values = [w[k] for w in weeks for k in ("median", "p90") if w[k] is not None]
    top = max(values + [1])
    scale, slot = _scale(top), (WIDTH - 2 * PAD) / max(1, len(weeks))
    parts = []
    for key, colour, dash in (("median", "#198754", ""), ("p90", "#fd7e14", "4 3")):
        points = [
            (PAD + (i + 0.5) * slot, HEIGHT - PAD - w[key] * scale, w)
            for i, w in enumerate(weeks)
            if w[key] is not None
        ]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
            dashes = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" '
                f'stroke-width="2"{dashes}/>'
            )
        for x, y, w in points:
            tip = f"Week of {w['week']:%d %b}: {key} {w[key]:.1f} h ({w['count']} onboarding(s))"
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" '
                f'fill="{colour}"><title>{escape(tip)}</title>'
                "</circle>"
            )
    for index, week in enumerate(weeks):
        if index % 2 == 0:
            parts.append(_label(PAD + index * slot + 2, week["week"].strftime("%d %b")))
    return _frame("Hours from start to completion: median and p90", top, " h", "".join(parts))


def _frame(title: str, top: float, unit: str, body: str) -> SafeString:
    """The chart's box; `body` is SVG built here from numbers and escape()d labels only."""
    top_text = f"{top:.0f}" if top >= 10 else f"{top:.1f}"
    bottom = HEIGHT - PAD
    return mark_safe(  # noqa: S308  numbers and escape()d text only
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        f'<line x1="{PAD}" y1="{bottom}" x2="{WIDTH - PAD}" y2="{bottom}" stroke="#adb5bd"/>'
        f'<text x="2" y="{PAD}" font-size="10" fill="#6c757d">{top_text}{unit}</text>'
        f'<text x="2" y="{bottom}" font-size="10" fill="#6c757d">0</text>{body}</svg>'
    )


def tenant_states() -> dict:
    """Tenants per lifecycle and per health, in one aggregate query, each with its share for a
    bar."""
    aggregates = {f"l_{v}": Count("pk", filter=Q(lifecycle=v)) for v in Lifecycle.values}
    aggregates |= {f"h_{v}": Count("pk", filter=Q(health_state=v)) for v in HealthState.values}
    counts = Tenant.objects.aggregate(total=Count("pk"), **aggregates)
    total = counts["total"] or 1

    def rows(prefix: str, choices) -> list[dict]:
        return [
            {
                "value": value,
                "label": label,
                "count": counts[f"{prefix}_{value}"],
                "percent": round(100 * counts[f"{prefix}_{value}"] / total),
            }
            for value, label in choices
        ]

    return {
        "total": counts["total"],
        "lifecycle": rows("l", Lifecycle.choices),
        "health": rows("h", HealthState.choices),
    }


def dashboard_charts(now: datetime | None = None) -> dict:
    now = now or timezone.now()
    weeks = onboardings_per_week(now=now)
    times = time_to_onboard(now=now)
    completed = [t for t in times if t["count"]]
    return {
        "weeks": weeks,
        "times": times,
        "bars": bars_svg(weeks),
        "lines": lines_svg(times),
        "has_times": bool(completed),
        "tenants": tenant_states(),
    }
