"""The web app's words for what the domain answers (the CLI has its own in cli/fmt.py)."""

from __future__ import annotations

import datetime as dt

from rollminder import state as s

#: The state's heading on the dashboard.
STATE_WORDS = {
    "due": "Due now",
    "paused": "Paused",
    "blackout": "Clinic visit: no home rolling",
    "held": "On hold",
    "resting": "Resting",
    "waiting": "Next session",
    "none": "Nothing scheduled",
}


def state_reason(state: s.State, today: dt.date | None = None) -> str:
    """Why rolling waits, in a few words ("" when nothing holds it)."""
    match state:
        case s.Paused(pause=pause):
            return f"paused: {pause.reason}" if pause.reason else "paused"
        case s.BlackedOut(visit=visit, until=until):
            where = f" at {visit.clinic}" if visit.clinic else ""
            return f"clinic visit{where} on {day_of(visit.at.astimezone(until.tzinfo), today)}"
        case s.Held(hold=hold):
            return hold.reason
        case s.Resting():
            return "resting"
        case _:
            return ""


def caution_text(state: s.State) -> str:
    """Why the plan says "not now", in a sentence ("" when it does not)."""
    match state:
        case s.Resting(until=until):
            return f"It asks for rest until {until:%a %d %b, %H:%M}."
        case s.Paused(pause=pause, until=until):
            why = f" ({pause.reason})." if pause.reason else "."
            return f"It is paused until {until:%a %d %b, %H:%M}{why}"
        case s.Held(hold=hold, until=until):
            return f"It holds off rolling until {until:%a %d %b, %H:%M} ({hold.reason})."
        case s.BlackedOut(until=until):
            return f"No home rolling around your {state_reason(state)}, until {until:%a %d %b}."
        case _:
            return ""


# -- one date style on every page ----------------------------------------------------------------


def day_of(value: dt.date | dt.datetime, today: dt.date | None = None) -> str:
    """ "Sat 2 Jan", with the year only when it is not ``today``'s year ("Sat 2 Jan 2027")."""
    d = value.date() if isinstance(value, dt.datetime) else value
    text = f"{d:%a} {d.day} {d:%b}"
    return text if today is not None and d.year == today.year else f"{text} {d.year}"


def when(value: dt.datetime, today: dt.date | None = None) -> str:
    """ "Sat 2 Jan, 21:00" ("Today, 21:00" and "Tomorrow, 21:00" close by)."""
    d = value.date()
    if today is not None and d == today:
        return f"Today, {value:%H:%M}"
    if today is not None and d == today + dt.timedelta(days=1):
        return f"Tomorrow, {value:%H:%M}"
    return f"{day_of(value, today)}, {value:%H:%M}"


def duration(minutes: float) -> str:
    """Minutes as people say them: "3 min", "2.5 min", "44 s", "1 h 10 min"."""
    seconds = max(0, round(minutes * 60))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        whole, rest = divmod(seconds, 60)
        if rest == 0:
            return f"{whole} min"
        if rest == 30:
            return f"{whole}.5 min"
        return f"{whole} min {rest} s"
    hours, rest = divmod(seconds, 3600)
    return f"{hours} h {rest // 60} min" if rest // 60 else f"{hours} h"


def span(delta: dt.timedelta) -> str:
    """A time left, as people say it: "2 d 3 h", "4 h 10 min", "12 min", "44 s"."""
    seconds = max(0, int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{seconds} s"


def today_sentence(state: s.State, today: dt.date) -> str:
    """The state of the plan in one sentence, for the top of Today."""
    nxt = state.next
    match state:
        case s.Due():
            return "Your session is open: roll any time today, or mark it done."
        case s.Paused(until=until):
            return f"{sentence_case(state_reason(state, today))}, until {day_of(until, today)}."
        case s.BlackedOut(until=until):
            return (
                f"No home rolling around your {state_reason(state, today)}, until "
                f"{day_of(until, today)}."
            )
        case s.Held(hold=hold, until=until):
            return f"No rolling until {when(until, today)}: {hold.reason}."
        case s.Resting(until=until):
            return f"Resting until {when(until, today)}: your skin is recovering."
        case s.Waiting():
            assert nxt is not None
            return f"Your next session is {on_day(nxt.start, today)} at {nxt.start:%H:%M}."
        case _:
            return "Nothing is scheduled: check your plan in Settings."


def on_day(value: dt.datetime, today: dt.date) -> str:
    """ "today", "tomorrow" or "on Sat 2 Jan", to go inside a sentence."""
    d = value.date()
    if d == today:
        return "today"
    if d == today + dt.timedelta(days=1):
        return "tomorrow"
    return f"on {day_of(d, today)}"


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]
