"""What the schedule answers, as typed values: a slot, and the state now.

The state now is a union of small immutable records (named tuples: cheap to define, which
matters at CLI start-up) that the faces ``match`` on by class. The records carry
data (the pause, the visit, the hold, the instants), never sentences: the CLI and the web app
own their words. Pure: no IO, no clock.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from rollminder.model import Hold, Pause, Visit

PLANNED = "planned"
CATCH_UP = "catch-up"


class Slot(NamedTuple):
    start: dt.datetime  # aware, in the plan's zone
    kind: str  # PLANNED or CATCH_UP
    due: bool = False  # its time has come and it is still open (today, not done)

    @property
    def day(self) -> dt.date:
        return self.start.date()


class Blackout(NamedTuple):
    """The days with no home rolling around a clinic visit."""

    first: dt.date
    last: dt.date
    visit: Visit


class Due(NamedTuple):
    """A slot is open now."""

    slot: Slot

    @property
    def name(self) -> str:
        return "due"

    @property
    def next(self) -> Slot:
        return self.slot

    @property
    def until(self) -> None:
        return None


class Paused(NamedTuple):
    """Today is inside ``pause``; rolling may resume at ``until`` (local midnight after the
    last paused day of the run of pauses)."""

    pause: Pause
    until: dt.datetime
    next: Slot | None

    @property
    def name(self) -> str:
        return "paused"


class BlackedOut(NamedTuple):
    """Today is inside the no-home-rolling days around ``visit``, until ``until``."""

    visit: Visit
    until: dt.datetime
    next: Slot | None

    @property
    def name(self) -> str:
        return "blackout"


class Held(NamedTuple):
    """The pre-session check holds rolling (a retinoid, a peel...) until ``until``."""

    hold: Hold
    until: dt.datetime
    next: Slot | None

    @property
    def name(self) -> str:
        return "held"


class Resting(NamedTuple):
    """The last session's rest has not passed: no rolling before ``until``."""

    until: dt.datetime
    next: Slot | None

    @property
    def name(self) -> str:
        return "resting"


class Waiting(NamedTuple):
    """Nothing holds rolling; the next slot is ahead."""

    next: Slot

    @property
    def name(self) -> str:
        return "waiting"

    @property
    def until(self) -> None:
        return None


class Unschedulable(NamedTuple):
    """No slot fits within the schedule's horizon (pauses of years, say)."""

    @property
    def name(self) -> str:
        return "none"

    @property
    def next(self) -> None:
        return None

    @property
    def until(self) -> None:
        return None


#: The state now: ``match`` on it.
State = Due | Paused | BlackedOut | Held | Resting | Waiting | Unschedulable
