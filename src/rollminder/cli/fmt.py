"""Parsing what people type into domain values, and formatting domain values for people.

Shared by every command module; JSON shapes live here so they stay stable.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import click

from rollminder import limits
from rollminder.errors import InvalidInput
from rollminder.model import ALL_DIRECTIONS, ALL_ZONES, WEEKDAYS, ZONES

if TYPE_CHECKING:
    from rollminder.model import Plan, Session, Skip
    from rollminder.service import Rollminder
    from rollminder.state import Slot, State

DAY_NAMES = {
    **{d: i for i, d in enumerate(WEEKDAYS)},
    **{
        n: i
        for i, n in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
    "tues": 1,
    "wednes": 2,
    "thur": 3,
    "thurs": 3,
}


# ------------------------------------------------------------------ parsing


if TYPE_CHECKING:
    _ParamType = click.ParamType[Any]  # generic in click 8.2+
else:
    _ParamType = click.ParamType


class Limited(_ParamType):
    """An option checked by a limit of :mod:`rollminder.limits` (written once, there): the same
    words as the web form and the import."""

    name = "number"

    def __init__(self, limit: limits.Whole | limits.Number, what: str) -> None:
        self.limit, self.what = limit, what

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            if isinstance(value, int | float) and not isinstance(value, bool):
                return self.limit.check(value, self.what)
            return self.limit.parse(str(value), self.what)
        except InvalidInput as exc:  # a wrong command line: click's usage error (exit 2)
            self.fail(exc.message, param, ctx)


class Zone(_ParamType):
    """A time zone as people name it: "Berlin", "New York" or "Europe/Berlin" (the IANA name)."""

    name = "zone"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from rollminder.zonenames import zone_name

        try:
            return zone_name(str(value))
        except InvalidInput as exc:  # a wrong command line: click's usage error (exit 2)
            self.fail(exc.message, param, ctx)


class FilePath(click.Path):
    """A file name on the command line: click's checks, and a NUL byte (which no file name can
    hold) refused in one line rather than failing deep inside the file system call."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and "\x00" in value:
            self.fail("a file name cannot contain a NUL character.", param, ctx)
        return super().convert(value, param, ctx)


def safe(text: object) -> str:
    """Stored or typed text made harmless for a terminal (:func:`rollminder.limits.shown`):
    every control character but line breaks and tabs, lone surrogate and bidi override becomes
    U+FFFD, so a note holding ESC [ 2 J, U+009B or U+202E prints as text and never acts on the
    terminal.

    Every line that echoes a person's text (history, pauses, roller, visit and channel lists,
    errors quoting input) goes through this one function."""
    return limits.shown(str(text))


def echo(message: object = None, **options: Any) -> None:
    """``click.echo`` for a line that carries a person's text (a label, a note, a channel's
    name): the line goes through :func:`safe` first."""
    click.echo(None if message is None else safe(message), **options)


def secho(message: str, **styles: Any) -> None:
    """``click.secho`` with :func:`safe` applied to the text before the style is."""
    click.secho(safe(message), **styles)


def split_list(text: str) -> list[str]:
    return [p for p in text.replace(";", ",").replace("/", ",").replace(" ", ",").split(",") if p]


def parse_days(text: str) -> tuple[int, ...]:
    days = []
    for part in split_list(text.lower()):
        if part not in DAY_NAMES:
            raise InvalidInput(f"Unknown day {part!r}: use mon, tue, wed, thu, fri, sat, sun.")
        days.append(DAY_NAMES[part])
    if not days:
        raise InvalidInput("Give at least one day, e.g. --days mon,thu.")
    return tuple(sorted(set(days)))


def parse_clock(text: str) -> dt.time:
    """'21:00', '21.00', '2100', '9pm', '9:30 am'."""
    raw = text.strip().lower().replace(" ", "")
    suffix = ""
    if raw.endswith(("am", "pm")):
        raw, suffix = raw[:-2], raw[-2:]
    raw = raw.replace(".", ":").replace("h", ":")
    if ":" not in raw and raw.isdigit() and len(raw) in (3, 4):
        raw = f"{raw[:-2]}:{raw[-2:]}"
    hour_s, _, minute_s = raw.partition(":")
    try:
        if not (hour_s.isascii() and hour_s.isdigit()) or len(hour_s) > 2:
            raise ValueError  # also 99999999999999999999, which dt.time cannot even hold
        if (minute_s and not (minute_s.isascii() and minute_s.isdigit())) or len(minute_s) > 2:
            raise ValueError
        hour, minute = int(hour_s), int(minute_s or 0)
        if suffix:
            if not 1 <= hour <= 12:
                raise ValueError
            hour = hour % 12 + (12 if suffix == "pm" else 0)
        return dt.time(hour, minute)
    except ValueError:
        raise InvalidInput(
            f"Could not read {text[:40]!r} as a time of day: try 21:00 or 9pm."
        ) from None


def parse_zones(text: str) -> tuple[str, ...]:
    zones = [z.lower() for z in split_list(text)]
    if "face" in zones:  # the whole face, as DOMAIN.md names it
        i = zones.index("face")
        zones[i : i + 1] = ["forehead", "cheeks", "chin"]
    zones = ["hands" if z in ("back-of-hands", "back of hands") else z for z in zones]
    for z in zones:
        if z not in ALL_ZONES:
            raise InvalidInput(f"Unknown zone {z!r}: choose from face, {', '.join(ALL_ZONES)}.")
    if not zones:
        raise InvalidInput(f"Choose at least one zone: {', '.join(ZONES)}.")
    return tuple(dict.fromkeys(zones))


DIRECTION_ALIASES = {
    "v": "vertical",
    "h": "horizontal",
    "d1": "diagonal-up-right",
    "d2": "diagonal-up-left",
    "diagonal": "diagonal-up-right,diagonal-up-left",
    "diagonals": "diagonal-up-right,diagonal-up-left",
    "all": ",".join(ALL_DIRECTIONS),
    "star": ",".join(ALL_DIRECTIONS),
}


def parse_directions(text: str) -> tuple[str, ...]:
    out: list[str] = []
    for part in split_list(text.lower()):
        for d in DIRECTION_ALIASES.get(part, part).split(","):
            if d not in ALL_DIRECTIONS:
                raise InvalidInput(
                    f"Unknown direction {d!r}: choose from {', '.join(ALL_DIRECTIONS)}, all."
                )
            out.append(d)
    if not out:
        raise InvalidInput("Choose at least one direction.")
    return tuple(dict.fromkeys(out))


#: How --rest is read, for its help and its errors.
REST_HINT = "give days, such as 3, 3d, 2 days or 1w (or whole days in hours, 48h)"


def parse_rest(text: str) -> int:
    """Rest in days (DOMAIN.md: rest counts in local calendar days): '3', '3d', '2 days', '1w',
    or hours that make whole days ('48h'). Minutes and part days are refused. Returns hours."""
    from rollminder.timeparse import parse_duration

    raw = text.strip()
    if raw.isascii() and raw.isdigit():
        days = int(raw) if len(raw.lstrip("0")) <= 6 else 10**6  # 10**6: too many, said below
    else:
        try:
            delta = parse_duration(raw)
        except InvalidInput:
            if raw.replace(".", "", 1).isdigit() and raw.isascii():  # '1.5': part of a day
                raise InvalidInput(f"Rest is counted in whole days: {REST_HINT}.") from None
            raise InvalidInput(f"Could not read {text[:40]!r} as rest: {REST_HINT}.") from None
        if delta.seconds or delta.microseconds:
            raise InvalidInput(f"Rest is counted in whole days: {REST_HINT}; not {text[:40]!r}.")
        days = delta.days
    if days < 1:
        raise InvalidInput(f"Rest must be at least 1 day: {REST_HINT}.")
    if days > 7 * 12:
        raise InvalidInput(f"Rest must be at most 12 weeks: {REST_HINT}.")
    return days * 24


def when(app: Rollminder, text: str | None, *, prefer: str = "past") -> dt.datetime | None:
    if text is None:
        return None
    from rollminder.timeparse import parse_when

    plan_time = app.plan().time if app.has_plan() else dt.time(21, 0)
    return parse_when(
        text,
        now=app.now(),
        tz=app.zone(),
        prefer=prefer,  # type: ignore[arg-type]
        default_time=plan_time,
    )


def day(app: Rollminder, text: str | None, *, prefer: str = "future") -> dt.date | None:
    if text is None:
        return None
    from rollminder.timeparse import parse_date

    return parse_date(text, today=app.local_now().date(), prefer=prefer)  # type: ignore[arg-type]


# ------------------------------------------------------------------ formatting


def day_text(day: dt.date, today: dt.date | None = None) -> str:
    """'Thu 26 Nov' (with the year when it is not this year's): the one way sentences name a day."""
    year = "" if today is not None and day.year == today.year else f" {day.year}"
    return f"{day:%a} {day.day} {day:%b}{year}"


def slot_time(when: dt.datetime, now: dt.datetime | None = None) -> str:
    """'Thu 26 Nov 21:00' (with the year when it is not this year's)."""
    year = "" if now is None or when.year == now.year else f" {when.year}"
    return f"{when:%a} {when.day} {when:%b}{year} {when:%H:%M}"


def countdown(delta: dt.timedelta) -> str:
    """'2 days 11 h', '3 h 20 min', '5 min'."""
    minutes = max(0, -int(-delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{plural(days, 'day')} {hours} h" if hours else plural(days, "day")
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def short_id(id: str) -> str:
    return id[:6]


def echo_json(value: Any) -> None:
    """Pretty JSON. On an output that is not UTF-8, non-ASCII text is escaped (still lossless)."""
    import json
    import sys

    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    utf = encoding in ("utf8", "utf_8")
    text = json.dumps(value, indent=2, ensure_ascii=not utf, sort_keys=False)
    # Still lossless, and harmless on a terminal: C1 controls, bidi overrides and lone
    # surrogates (which only occur inside strings) are written as \\u escapes.
    click.echo(_JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "needle_mm": plan.needle_mm,
        "sessions": plan.sessions,
        "every_weeks": plan.every_weeks,
        "days": [WEEKDAYS[d] for d in plan.weekdays],
        "time": plan.time.strftime("%H:%M"),
        "tz": plan.tz,
        "minutes": plan.minutes,
        "zones": list(plan.zones),
        "directions": list(plan.directions),
        "passes": plan.passes,
        "rest_hours": plan.rest_hours,
        "start": plan.start.isoformat(),
        "blackout_before_days": plan.blackout_before_days,
        "blackout_after_days": plan.blackout_after_days,
    }


def slot_json(slot: Slot) -> dict[str, Any]:
    return {"start": slot.start.isoformat(), "kind": slot.kind, "due": slot.due}


def state_reason(state: State) -> str:
    """Why, in a few words (the JSON ``reason``): the face's words for the state's data."""
    from rollminder import state as s

    match state:
        case s.Due():
            return "a session is due now"
        case s.Paused(pause=pause):
            return f"paused: {pause.reason}" if pause.reason else "paused"
        case s.BlackedOut(visit=visit):
            where = f" at {visit.clinic}" if visit.clinic else ""
            return f"clinic visit{where} on {visit.at.astimezone(state.until.tzinfo).date()}"
        case s.Held(hold=hold):
            return hold.reason
        case s.Resting():
            return "resting"
        case s.Unschedulable():
            return "nothing can be scheduled in the next five years"
        case s.Waiting():
            return "next session ahead"


def status_json(state: State) -> dict[str, Any]:
    return {
        "state": state.name,
        "until": state.until.isoformat() if state.until else None,
        "reason": state_reason(state),
        "next": slot_json(state.next) if state.next else None,
    }


def session_json(s: Session, tz: Any) -> dict[str, Any]:
    """One row of ``history --json``. Every row has the same keys, sessions and skips alike."""
    return {
        "type": "session",
        "id": s.id,
        "start": s.local_start(tz.key).isoformat(),  # in the zone it was done in
        "tz": s.tz or tz.key,
        "minutes": s.minutes,
        "zones": list(s.zones),
        "reaction": s.reaction,
        "note": s.note,
        "roller": s.roller_id,
        "reason": None,
    }


def missed_json(slot: dt.datetime, tz: Any) -> dict[str, Any]:
    """A missed slot as a ``history --json`` row: ``start`` is the slot."""
    return {
        "type": "missed",
        "id": None,
        "start": slot.astimezone(tz).isoformat(),
        "tz": tz.key,
        "minutes": None,
        "zones": [],
        "reaction": None,
        "note": "",
        "roller": None,
        "reason": None,
    }


def skip_json(s: Skip, tz: Any) -> dict[str, Any]:
    """A skipped slot as a ``history --json`` row: ``start`` is the slot, ``reason`` why."""
    return {
        "type": "skip",
        "id": s.id,
        "start": s.slot.astimezone(tz).isoformat(),
        "tz": tz.key,
        "minutes": None,
        "zones": [],
        "reaction": None,
        "note": "",
        "roller": None,
        "reason": s.reason,
    }


def plural(n: int | float, word: str) -> str:
    return f"{n:g} {word}" if n == 1 else f"{n:g} {word}s"


def table(rows: Sequence[Sequence[str]], header: Sequence[str] | None = None) -> None:
    """Aligned columns (rich is too slow to import for the commands people run most)."""
    all_rows: list[Sequence[str]] = [header, *rows] if header else list(rows)
    if not all_rows:
        return
    all_rows = [[safe(cell) for cell in row] for row in all_rows]  # stored text: made harmless
    widths = [max(len(r[i]) for r in all_rows) for i in range(len(all_rows[0]))]
    for n, row in enumerate(all_rows):
        line = "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        click.echo(click.style(line, bold=True) if header and n == 0 else line)


def rich_table(rows: Sequence[Sequence[str]], header: Sequence[str], title: str = "") -> None:
    """A boxed table for the less frequent listings (rich is imported only here)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    class PipeConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError  # `| head`: cli.main stops quietly (rich would exit 1)

    grid = Table(*header, title=title or None, title_justify="left", highlight=False)
    for row in rows:
        grid.add_row(*(Text(safe(cell)) for cell in row))  # Text: a note's "[bold]" stays literal
    console = PipeConsole(soft_wrap=False)
    if not console.is_terminal:
        # Piped or redirected: one line per row, whatever the width (grep, awk, a file).
        console = PipeConsole(soft_wrap=False, width=1000)  # a table is as wide as its cells
    console.print(grid)


#: Said by ``next`` (on standard error) when no reminder can reach the person.
UNREACHABLE = (
    "No reminder can reach you: no channel is set up and there is no desktop notification "
    "server. Add one with 'rollminder channel add URL' (ntfy, e-mail, a webhook ...)."
)


def oneline(text: str, width: int = 60) -> str:
    flat = " ".join(safe(text).split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def join(items: Iterable[str]) -> str:
    return ", ".join(items)


def _take_routine(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is None:
        return
    text = limits.NAME.check(value, "routine name")
    if not text.strip():
        raise click.BadParameter("give a routine's name (see 'rollminder routine list').")
    obj = ctx.find_root().obj
    if obj is not None and hasattr(obj, "routine"):
        obj.routine = text


#: ``--routine NAME`` (issue 12): the command acts on that routine only (see Context.app).
routine_option = click.option(
    "--routine",
    metavar="NAME",
    expose_value=False,
    callback=_take_routine,
    help="Only this routine (its name, see 'routine list'; default: every routine, or the "
    "only one).",
)


def parse_areas(text: str | None) -> tuple[str, ...] | None:
    """``--areas`` of a pause, a visit or the check (issue 12): zone names or face, body;
    'all' or 'everywhere' for every area (every routine). None when not given."""
    if text is None:
        return None
    from rollminder.usecases.base import check_areas

    words = [w.lower() for w in split_list(text)]
    if words in (["all"], ["everywhere"]):
        return ()
    if not words:
        raise InvalidInput("Give the areas, such as face or thighs (or all).")
    return check_areas(words)


def areas_option(help_text: str) -> Callable[[click.decorators.FC], click.decorators.FC]:
    return click.option("--areas", "areas_text", metavar="AREAS", help=help_text)
