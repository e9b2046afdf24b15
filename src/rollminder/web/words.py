"""The web app's words for what the domain answers (the CLI has its own in cli/fmt.py)."""

from __future__ import annotations

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


def state_reason(state: s.State) -> str:
    """Why rolling waits, in a few words ("" when nothing holds it)."""
    match state:
        case s.Paused(pause=pause):
            return f"paused: {pause.reason}" if pause.reason else "paused"
        case s.BlackedOut(visit=visit, until=until):
            where = f" at {visit.clinic}" if visit.clinic else ""
            day = visit.at.astimezone(until.tzinfo)
            return f"clinic visit{where} on {day:%a %d %b %Y}"
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
