"""Server-side SVG charts: the calendar heatmap and the adherence bars.

Pure functions from domain values to SVG text. Every piece of text that goes into the SVG is
escaped here (markupsafe), and the result is returned as ``Markup`` for the templates. Each chart
carries its figures as data attributes too, so tests and screen readers need not parse shapes.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence

from markupsafe import Markup, escape

from rollminder.schedule import PeriodTally

CELL = 12  # heatmap square plus gap
BAR_W = 16


def heatmap(
    sessions: Iterable[dt.date],
    skips: Iterable[dt.date],
    today: dt.date,
    weeks: int = 53,
) -> Markup:
    """A GitHub-style calendar: one column per week (Monday on top), the last ``weeks`` weeks
    through ``today``. A day with a session is filled; a skipped day is marked; days after today
    are left out."""
    counts = Counter(sessions)
    skipped = set(skips)
    first = today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=weeks - 1)
    width, height = 28 + weeks * CELL, 24 + 7 * CELL
    shown_sessions = shown_days = 0
    parts: list[str] = []
    month = None
    for w in range(weeks):
        monday = first + dt.timedelta(weeks=w)
        x = 28 + w * CELL
        if monday.month != month:
            month = monday.month
            parts.append(f'<text x="{x}" y="10">{escape(monday.strftime("%b"))}</text>')
        for d in range(7):
            day = monday + dt.timedelta(days=d)
            if day > today:
                continue
            n = counts.get(day, 0)
            cls = "d1" if n else ("skip" if day in skipped else "d0")
            shown_sessions += n
            shown_days += 1 if n else 0
            what = (
                f"{n} session{'s' if n != 1 else ''}"
                if n
                else ("skipped" if day in skipped else "no session")
            )
            label = escape(f"{day:%a %d %b %Y}: {what}")
            parts.append(
                f'<rect class="{cls}" x="{x}" y="{16 + d * CELL}" width="10" height="10" rx="2" '
                f'data-day="{day.isoformat()}"><title>{label}</title></rect>'
            )
    for d, name in ((0, "Mon"), (2, "Wed"), (4, "Fri")):
        parts.append(f'<text x="0" y="{25 + d * CELL}">{name}</text>')
    summary = escape(
        f"Calendar of the last {weeks} weeks: {shown_sessions} sessions on {shown_days} days."
    )
    return Markup(
        f'<svg class="chart heat" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{summary}" data-sessions="{shown_sessions}" data-days="{shown_days}">'
        f"<title>{summary}</title>{''.join(parts)}</svg>"
    )


def adherence_bars(periods: Sequence[PeriodTally], count: int = 26) -> Markup:
    """One bar per period (the last ``count``): sessions kept, against the quota (a dashed
    line). Missed and skipped slots are in each bar's title."""
    shown = list(periods)[-count:]
    top = max([1, *(max(p.quota, p.done) for p in shown)])
    plot_h = 100
    width, height = 30 + max(1, len(shown)) * (BAR_W + 4), plot_h + 40
    parts = [f'<line class="axis" x1="28" y1="{10 + plot_h}" x2="{width}" y2="{10 + plot_h}"/>']
    parts.append(f'<text x="0" y="{14}">{top}</text><text x="0" y="{10 + plot_h}">0</text>')
    kept_total = quota_total = 0
    for i, p in enumerate(shown):
        x = 30 + i * (BAR_W + 4)
        h = round(plot_h * p.kept / top)
        kept_total += p.kept
        quota_total += p.due
        label = escape(
            f"Week of {p.first:%d %b %Y}: {p.kept} of {p.quota} kept, {p.missed} missed, "
            f"{p.skipped} skipped{'' if p.complete else ' (this period, so far)'}"
        )
        parts.append(
            f'<rect class="bar" x="{x}" y="{10 + plot_h - h}" width="{BAR_W}" height="{h}" '
            f'data-kept="{p.kept}" data-quota="{p.quota}" data-missed="{p.missed}">'
            f"<title>{label}</title></rect>"
        )
        if p.quota:
            y = 10 + plot_h - round(plot_h * p.quota / top)
            parts.append(
                f'<line class="target" x1="{x - 1}" y1="{y}" x2="{x + BAR_W + 1}" y2="{y}"/>'
            )
        if i % 4 == 0:
            parts.append(
                f'<text x="{x}" y="{plot_h + 26}">{escape(p.first.strftime("%d %b"))}</text>'
            )
    summary = escape(
        f"Sessions kept per period, last {len(shown)} periods: {kept_total} kept of "
        f"{quota_total} due."
    )
    return Markup(
        f'<svg class="chart bars" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{summary}" data-kept="{kept_total}" data-due="{quota_total}">'
        f"<title>{summary}</title>{''.join(parts)}</svg>"
    )
