"""Use cases of a guided session after the rolling: what was rolled, logging it, the reaction.

The faces (``rollminder start``, the web app) call these; the timing itself is the face's job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from rollminder.errors import InvalidInput, NotFound
from rollminder.guide import Guide
from rollminder.model import REACTIONS, Roller, Session

if TYPE_CHECKING:
    from rollminder.service import Logged, Rollminder

MAX_NOTE = 2000


def rolled_zones(guide: Guide, rolled_by_step: Sequence[float]) -> tuple[str, ...]:
    """The zones with some rolling done, in the guide's order."""
    done = {step.zone for step, secs in zip(guide.rolling, rolled_by_step, strict=True) if secs > 0}
    return tuple(z for z in guide.zones if z in done)


def log_guided(
    app: Rollminder,
    *,
    started: dt.datetime,
    rolled_seconds: float,
    zones: Sequence[str],
    roller_id: str | None,
) -> Logged | None:
    """Log what was rolled (None when nothing was): its real duration, pauses excluded."""
    if rolled_seconds <= 0 or not zones:
        return None
    minutes = max(0.01, round(rolled_seconds / 60, 2))
    return app.log_session(at=started, minutes=minutes, zones=zones, roller_id=roller_id)


def record_reaction(app: Rollminder, session_id: str, reaction: str, note: str = "") -> Session:
    """Add the skin reaction (and a note) to a logged session."""
    if reaction not in REACTIONS:
        raise InvalidInput(f"The reaction is one of {', '.join(REACTIONS)}.")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"The note is too long: at most {MAX_NOTE} characters.")
    if any(ord(c) < 32 and c not in "\n\t" for c in note) or "\x7f" in note:
        raise InvalidInput("The note contains control characters.")
    with app.store.transaction():
        session = app.store.session(session_id)
        if session is None:
            raise NotFound(f"No session {session_id!r}.")
        session = replace(session, reaction=reaction, note=note or session.note)
        app.store.put_session(session)
    return session


def roller_for_session(app: Rollminder) -> Roller | None:
    return app.current_roller()
