"""History's charts: the calendar heatmap and the kept-per-period bars.

Pure functions from domain values to HTML. Both charts are drawn to fit their box at every width:
the heatmap is a CSS grid (one column per week, its cells square), the bars are one small SVG
per period that stretches to its column (shapes only: every label is HTML text at the page's
type scale, never SVG text that scales with the page). Older weeks carry the class ``older`` or
``oldest`` and appear only when the box is wide enough (CSS container queries), so cells stay
large enough to see on a phone. Every piece of text is escaped here (markupsafe) and the result
is ``Markup``. Each chart carries its figures as data attributes, so tests and screen readers need
not parse shapes.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from markupsafe import Markup, escape

from rollminder.schedule import PeriodTally

#: The outcomes a past slot can have, as the figures judge them (schedule.KEPT etc.).
OUTCOMES = ("kept", "partial", "missed", "skipped")
#: Newest weeks always shown; the next ones from a medium box; the rest from a wide one.
HEAT_TIERS = (13, 26)
BAR_TIERS = (8, 16)


def _tier(age: int, tiers: tuple[int, int]) -> str:
    if age < tiers[0]:
        return ""
    return " older" if age < tiers[1] else " oldest"


def short_day(day: dt.date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def heatmap(
    sessions: Iterable[dt.date],
    skips: Iterable[dt.date],
    today: dt.date,
    weeks: int = 53,
    outcomes: Mapping[dt.date, str] | None = None,
) -> Markup:
    """A calendar: one column per week (Monday on top), the last ``weeks`` weeks through
    ``today``. A slot's day shows its outcome (kept, partial, missed, skipped); any other day
    with a session shows it as a session; days after today are left out."""
    counts = Counter(sessions)
    skipped = set(skips)
    judged = dict(outcomes or {})
    first = today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=weeks - 1)
    tally: Counter[str] = Counter()
    shown_sessions = shown_days = 0
    cols: list[str] = []
    last_label = -99
    for w in range(weeks):
        monday = first + dt.timedelta(weeks=w)
        label = ""
        firsts = [monday + dt.timedelta(days=d) for d in range(7)]
        starts = [d for d in firsts if d.day == 1]
        if w == 0:
            starts = [monday] if (monday + dt.timedelta(days=20)).month == monday.month else []
        if starts and w - last_label >= 3:
            label = escape(starts[0].strftime("%b"))
            last_label = w
        cells: list[str] = []
        for day in firsts:
            if day > today:
                cells.append('<i class="future"></i>')  # keeps the rows lined up
                continue
            n = counts.get(day, 0)
            outcome = judged.get(day) or ("skipped" if day in skipped else "")
            cls = outcome or ("session" if n else "")
            shown_sessions += n
            shown_days += 1 if n else 0
            if outcome:
                tally[outcome] += 1
            what = outcome or (f"{n} session{'s' if n != 1 else ''}" if n else "nothing")
            extra = " today" if day == today else ""
            title = escape(f"{short_day(day)} {day.year}: {what}")
            cells.append(
                f'<i class="{cls}{extra}" data-day="{day.isoformat()}" title="{title}"></i>'
            )
        tier = _tier(weeks - 1 - w, HEAT_TIERS)
        cols.append(f'<div class="wk{tier}"><span class="mo">{label}</span>{"".join(cells)}</div>')
    days = "".join(f"<span>{name}</span>" for name in ("", "Mon", "", "Wed", "", "Fri", "", "Sun"))
    summary = escape(
        f"Calendar of the last {weeks} weeks: {shown_sessions} sessions on {shown_days} days; "
        f"slots: {tally['kept']} kept, {tally['partial']} partial, {tally['missed']} missed, "
        f"{tally['skipped']} skipped."
    )
    return Markup(
        f'<div class="chart-box"><div class="chart heat" role="img" aria-label="{summary}" '
        f'data-sessions="{shown_sessions}" data-days="{shown_days}" '
        f'data-kept="{tally["kept"]}" data-partial="{tally["partial"]}" '
        f'data-missed="{tally["missed"]}" data-skipped="{tally["skipped"]}">'
        f'<div class="days" aria-hidden="true">{days}</div>'
        f'<div class="weeks">{"".join(cols)}</div></div></div>'
    )


def adherence_bars(periods: Sequence[PeriodTally], count: int = 26, unit: str = "week") -> Markup:
    """One column per period (the last ``count``): kept, partial, missed and skipped slots
    stacked, against the quota (a dashed line). The current period is drawn lighter."""
    shown = list(periods)[-count:]
    top = max([1, *(max(p.quota, p.kept + p.partial + p.missed + p.skipped) for p in shown)])
    cols: list[str] = []
    kept_total = due_total = 0
    for i, p in enumerate(shown):
        age = len(shown) - 1 - i
        kept_total += p.kept
        due_total += p.due
        y = 100.0
        rects: list[str] = []
        for outcome, n in (
            ("kept", p.kept),
            ("partial", p.partial),
            ("missed", p.missed),
            ("skipped", p.skipped),
        ):
            if n <= 0:
                continue
            h = 100 * n / top
            y -= h
            rects.append(f'<rect class="{outcome}" x="1" y="{y:.2f}" width="8" height="{h:.2f}"/>')
        if p.quota:
            ty = 100 - 100 * p.quota / top
            rects.append(
                f'<line class="target" x1="0" x2="10" y1="{ty:.2f}" y2="{ty:.2f}" '
                'vector-effect="non-scaling-stroke"/>'
            )
        so_far = "" if p.complete else " (so far)"
        title = escape(
            f"{unit.capitalize()} of {short_day(p.first)} {p.first.year}{so_far}: {p.kept} of "
            f"{p.quota} kept, {p.partial} partial, {p.missed} missed, {p.skipped} skipped"
        )
        label = escape(f"{p.first.day} {p.first:%b}") if age % 4 == 0 else ""
        now = "" if p.complete else " now"
        cols.append(
            f'<div class="col{_tier(age, BAR_TIERS)}{now}" data-kept="{p.kept}" '
            f'data-quota="{p.quota}" data-missed="{p.missed}" data-partial="{p.partial}" '
            f'data-skipped="{p.skipped}" title="{title}">'
            f'<svg viewBox="0 0 10 100" preserveAspectRatio="none" aria-hidden="true" '
            f'focusable="false">{"".join(rects)}</svg>'
            f'<span class="lab">{label}</span></div>'
        )
    summary = escape(
        f"Sessions kept per {unit}, last {len(shown)}: {kept_total} kept of {due_total} due."
    )
    return Markup(
        f'<div class="chart-box"><div class="chart bars" role="img" aria-label="{summary}" '
        f'data-kept="{kept_total}" data-due="{due_total}">'
        f'<div class="axis" aria-hidden="true"><span>{top}</span><span>0</span></div>'
        f'<div class="cols">{"".join(cols)}</div></div></div>'
    )
