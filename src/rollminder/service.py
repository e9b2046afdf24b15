"""The one facade the faces call: :class:`Rollminder`, made of the use-case modules in
:mod:`rollminder.usecases` (plan, log, pauses, rollers, clinic, check, reminders, upkeep).

Every rule lives in the domain (rules, schedule, progress) or in one use case; this class only
puts them together. The CLI, the web app and the reminder daemon call its methods and render
what they return; none of them opens or touches the store.
"""

from __future__ import annotations

from collections.abc import Mapping

from rollminder.model import Plan
from rollminder.usecases.checks import CheckCases, CheckOutcome
from rollminder.usecases.clinic import ClinicCases, SeriesStatus, series_window
from rollminder.usecases.journal import JournalCases
from rollminder.usecases.logbook import (
    DOUBLE_TAP,
    LogCases,
    Logged,
    check_reaction,
    check_zones,
    rolled_zones,
)
from rollminder.usecases.pauses import PauseCases
from rollminder.usecases.plans import PLAN_CHOICES, Outlook, PlanCases
from rollminder.usecases.reminders import ChannelTest, ReminderCases
from rollminder.usecases.rollers import RollerCases, RollerInUse, RollerWear
from rollminder.usecases.routines import RoutineCases, RoutineInfo
from rollminder.usecases.travel import Travel, TravelCases
from rollminder.usecases.undo import KEEP, Change, Step, UndoCases
from rollminder.usecases.upkeep import Upkeep

__all__ = [
    "DOUBLE_TAP",
    "KEEP",
    "PLAN_CHOICES",
    "Change",
    "ChannelTest",
    "CheckOutcome",
    "Logged",
    "Outlook",
    "RollerInUse",
    "RollerWear",
    "Rollminder",
    "RoutineInfo",
    "SeriesStatus",
    "Step",
    "Travel",
    "check_reaction",
    "check_zones",
    "rolled_zones",
    "series_window",
]


class Rollminder(
    PlanCases,
    LogCases,
    PauseCases,
    RollerCases,
    TravelCases,
    ClinicCases,
    CheckCases,
    ReminderCases,
    UndoCases,
    Upkeep,
    RoutineCases,
    JournalCases,
):
    """Every use case for one profile. ``clock`` returns an aware ``datetime``."""

    def set_up(self, *, clinician: Mapping[str, bool], **choices: object) -> Plan:
        """The first set-up: the plan and the answers to the clinician questions, together
        (one transaction: a refused answer leaves no plan behind)."""
        with self.store.transaction():
            plan = self.set_plan(**choices)
            self.set_clinician_answers(clinician)
        return plan
