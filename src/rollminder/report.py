"""The report for the dermatologist (issue 17): what was done over the last N weeks, as a PDF.

:func:`gather` collects the figures from the facade (the routines and their plans, sessions
kept, partial and missed, reactions and notes, holds, the answers to the clinician questions,
clinic visits, the chosen photo pairs); :func:`render` draws them with ReportLab (pure Python:
nothing to install beside it, unlike WeasyPrint's Cairo and Pango). A4 pages with large type
and one column, so the report reads on paper and on a phone alike.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from rollminder import limits, rules
from rollminder.errors import InvalidInput
from rollminder.photos import Photo, pairs_of

if TYPE_CHECKING:
    from rollminder.service import Rollminder

WEEKS = limits.REPORT_WEEKS


@dataclass(frozen=True)
class SessionLine:
    day: dt.date
    minutes: float
    outcome: str  # kept, partial
    reaction: str
    note: str


@dataclass(frozen=True)
class RoutineReport:
    name: str
    needle_mm: float
    plan: str  # "2 sessions a week, 3 minutes, at least 2 days apart"
    areas: tuple[str, ...]
    kept: int
    partial: int
    missed: int
    skipped: int
    sessions: tuple[SessionLine, ...]
    reactions: dict[str, int]


@dataclass(frozen=True)
class ReportData:
    made: dt.datetime
    first: dt.date
    last: dt.date
    weeks: int
    routines: tuple[RoutineReport, ...]
    holds: tuple[tuple[dt.date, dt.date, str], ...]
    clinician: tuple[tuple[str, bool], ...]
    visits: tuple[tuple[dt.datetime, str, str], ...]
    pairs: tuple[tuple[Photo, bytes, Photo, bytes], ...]


def _plan_words(plan: Any) -> str:
    period = "a week" if plan.every_weeks == 1 else f"every {plan.every_weeks} weeks"
    n = plan.sessions
    minutes = f"{plan.minutes:g} minute" + ("s" if plan.minutes != 1 else "")
    return (
        f"{n} session{'s' if n != 1 else ''} {period}, {minutes} each, at least "
        f"{rules.fmt_hours(plan.rest_hours)} apart"
    )


def gather(app: Rollminder, weeks: object, pair_ids: list[tuple[str, str]] | None) -> ReportData:
    """The report's figures over the last ``weeks`` weeks; ``pair_ids`` chooses the photo
    pairs (by id), else each angle's first and newest photo of the period."""
    from rollminder import schedule

    if isinstance(weeks, str):
        n = WEEKS.parse(weeks, "number of weeks")
    else:
        n = WEEKS.check(weeks, "number of weeks")
    now = app.now()
    zone = app.zone()
    last = now.astimezone(zone).date()
    first = last - dt.timedelta(weeks=n) + dt.timedelta(days=1)
    since = dt.datetime.combine(first, dt.time(0), zone)
    routines = []
    for routine, one in app.each_routine():
        if not one.has_plan():
            continue
        plan = one.home_plan()
        slots = one.slot_history(first)
        counts = {
            k: 0 for k in (schedule.KEPT, schedule.PARTIAL, schedule.MISSED, schedule.SKIPPED)
        }
        for past in slots:
            counts[past.outcome] = counts.get(past.outcome, 0) + 1
        sessions = [s for s in one.store.sessions(since=since) if s.start <= now]
        partial = one.partial_sessions(sessions) if sessions else set()
        reactions: dict[str, int] = {}
        lines = []
        for s in sessions:
            if s.reaction:
                reactions[s.reaction] = reactions.get(s.reaction, 0) + 1
            lines.append(
                SessionLine(
                    s.local_start(plan.tz).date(),
                    s.minutes,
                    "partial" if s.id in partial else "kept",
                    s.reaction or "",
                    s.note,
                )
            )
        routines.append(
            RoutineReport(
                name=routine.name if routine else "Your routine",
                needle_mm=plan.needle_mm,
                plan=_plan_words(plan),
                areas=plan.zones,
                kept=counts[schedule.KEPT],
                partial=counts[schedule.PARTIAL],
                missed=counts[schedule.MISSED],
                skipped=counts[schedule.SKIPPED],
                sessions=tuple(lines),
                reactions=reactions,
            )
        )
    holds = tuple(
        (h.since.astimezone(zone).date(), h.until.astimezone(zone).date(), h.reason)
        for h in app.holds(active=False)
        if h.until >= since
    )
    answers = app.clinician_answers()
    clinician = tuple(
        (q.text, answers[q.key]) for q in rules.CLINICIAN_QUESTIONS if q.key in answers
    )
    visits = tuple((v.at.astimezone(zone), v.clinic, v.note) for v in app.visits() if v.at >= since)
    photos = app.photos()
    by_id = {p.id: p for p in photos}
    if pair_ids:
        chosen = []
        for a, b in pair_ids:
            if a not in by_id or b not in by_id:
                raise InvalidInput("A photo chosen for the report is not there any more.")
            chosen.append((by_id[a], by_id[b]))
    else:
        chosen = pairs_of([p for p in photos if p.taken >= since])
    pairs = tuple((a, app.photo_image(a.id), b, app.photo_image(b.id)) for a, b in chosen)
    return ReportData(now, first, last, n, tuple(routines), holds, clinician, visits, pairs)


def render(data: ReportData) -> bytes:
    """The PDF (A4, one column, large type)."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        Image,
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["BodyText"], fontSize=12, leading=16)
    h1 = ParagraphStyle("h1", parent=styles["Heading1"], fontSize=20, leading=24)
    h2 = ParagraphStyle("h2", parent=styles["Heading2"], fontSize=15, leading=19)
    small = ParagraphStyle("small", parent=body, fontSize=10, leading=13)

    def p(text: str, style: Any = body) -> Any:
        return Paragraph(escape(limits.shown(text)).replace("\n", "<br/>"), style)

    def day(d: dt.date) -> str:
        return f"{d.day} {d:%b %Y}"

    def table(rows: list[list[str]], widths: list[float]) -> Any:
        t = Table([[p(c, small) for c in r] for r in rows], colWidths=widths, repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return t

    width = A4[0] - 36 * mm
    story: list[Any] = [
        p("Home micro-needling: a report for your clinician", h1),
        p(
            f"{day(data.first)} to {day(data.last)} ({data.weeks} weeks). Made by rollminder on "
            f"{day(data.made.date())}. Home rolling is not medical advice; this lists what "
            "the person logged."
        ),
        Spacer(1, 4 * mm),
    ]
    for r in data.routines:
        story.append(p(f"Routine: {r.name}", h2))
        story.append(p(f"Needle {r.needle_mm:g} mm; {r.plan}; areas: {', '.join(r.areas)}."))
        story.append(
            p(
                f"Sessions kept: {r.kept}. Partial: {r.partial}. Missed: {r.missed}. "
                f"Skipped: {r.skipped}."
            )
        )
        if r.reactions:
            words = ", ".join(f"{k} {v}" for k, v in sorted(r.reactions.items()))
            story.append(p(f"Skin reactions logged: {words}."))
        if r.sessions:
            rows = [["Day", "Minutes", "Kept", "Reaction", "Note"]]
            rows += [
                [day(s.day), f"{s.minutes:g}", s.outcome, s.reaction or "-", s.note]
                for s in r.sessions
            ]
            story.append(table(rows, [width * f for f in (0.2, 0.12, 0.12, 0.16, 0.4)]))
        else:
            story.append(p("No session logged in this period."))
        story.append(Spacer(1, 4 * mm))
    story.append(p("Holds (times the pre-session check stopped rolling)", h2))
    if data.holds:
        rows = [["From", "Until", "Why"]] + [[day(a), day(b), why] for a, b, why in data.holds]
        story.append(table(rows, [width * 0.2, width * 0.2, width * 0.6]))
    else:
        story.append(p("None."))
    story.append(p("Answers to the questions for a clinician", h2))
    if data.clinician:
        rows = [["Question", "Answer"]] + [[q, "yes" if yes else "no"] for q, yes in data.clinician]
        story.append(table(rows, [width * 0.8, width * 0.2]))
    else:
        story.append(p("Not answered."))
    story.append(p("Clinic visits", h2))
    if data.visits:
        rows = [["When", "Clinic", "Note"]] + [
            [f"{day(at.date())} {at:%H:%M}", clinic, note] for at, clinic, note in data.visits
        ]
        story.append(table(rows, [width * 0.25, width * 0.3, width * 0.45]))
    else:
        story.append(p("None in this period."))
    if data.pairs:
        story.append(p("Photos compared", h2))
        side = (width - 6 * mm) / 2
        for a, a_bytes, b, b_bytes in data.pairs:
            cells = []
            for photo, raw in ((a, a_bytes), (b, b_bytes)):
                ratio = photo.height / photo.width if photo.width else 1.0
                w = min(side, 90 * mm / ratio)
                cells.append(Image(io.BytesIO(raw), width=w, height=w * ratio))
            label = a.angle if a.angle != "closeup" else f"close-up of the {a.area}"
            grid = Table(
                [cells, [p(day(a.local_day()), small), p(day(b.local_day()), small)]],
                colWidths=[side + 3 * mm, side + 3 * mm],
            )
            story.append(KeepTogether([p(f"{label.capitalize()}", body), grid, Spacer(1, 3 * mm)]))
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title="Home micro-needling report",
        author="rollminder",
        invariant=1,
    )
    doc.build(story)
    return out.getvalue()


__all__ = ["ReportData", "ZoneInfo", "gather", "render"]
