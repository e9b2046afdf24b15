"""The pre-session check as use cases: the API the CLI (``rollminder check``, ``start``) and the
web app call. The questions themselves are data in :mod:`rollminder.rules` (``STOP_QUESTIONS``,
``CLINICIAN_QUESTIONS``), each with its source (DOMAIN.md, "Don't roll today if").

- :meth:`CheckCases.run_check` takes the answers to the stop questions. A "yes" stops the
  session: nothing is logged as done; the open slot (the next slot, when it is due now or falls
  on today) is recorded as skipped with the question's reason; a date given for a retinoid,
  peel, Botox or fillers records a :class:`~rollminder.model.Hold` until that date plus the
  question's ``hold_hours``, and the schedule offers no slot before its end. A "yes" to such a
  question without a date means "just now" (DOMAIN.md): the hold runs the full interval from the
  check (48 h for a retinoid), never a bare skip with a catch-up inside it. The outcome carries
  the recomputed next slot (a retry the next day where rest and holds allow: docs/scheduling.md).
- A dated "yes" whose hold has already run out does not stop: the date says the interval has
  passed (a retinoid 3 days ago, answered "yes, in the last 48 hours" by mistake).
- :meth:`CheckCases.set_clinician_answers` stores the "ask a clinician first" answers (one per
  question and profile); :meth:`CheckCases.clinician_notes` gives the yes answers as notes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import NamedTuple
from zoneinfo import ZoneInfo

from rollminder import limits, rules, schedule
from rollminder.errors import InvalidInput, NotFound
from rollminder.model import ClinicianAnswer, Hold, Plan, Skip, concerns
from rollminder.usecases.base import Base, check_areas

#: A treatment date may be given up to this far in the future (a clock a little off).
_FUTURE_SLACK = dt.timedelta(minutes=5)


class CheckOutcome(NamedTuple):
    ok: bool  # True: go ahead and roll
    stopped_by: str | None  # the key of the first stop question answered yes
    skip: Skip | None  # the skip recorded for the open slot, if there was one
    hold_until: dt.datetime | None  # the end of the hold recorded, aware (plan's zone)
    next_slot: schedule.Slot | None  # the next slot after the check


def _answers(
    answers: Mapping[str, bool], questions: tuple[rules.CheckQuestion, ...], what: str
) -> dict[str, bool]:
    if not isinstance(answers, Mapping):
        raise InvalidInput(f"The {what} answers must map question keys to yes or no.")
    keys = {q.key for q in questions}
    out: dict[str, bool] = {}
    for key, value in answers.items():
        if key not in keys:
            raise InvalidInput(
                f"There is no {what} question {str(key)[:40]!r}: use one of "
                + ", ".join(q.key for q in questions)
                + "."
            )
        if not isinstance(value, bool):
            raise InvalidInput(f"Answer the question {key!r} with yes or no.")
        out[key] = value
    return out


def _hold_for(
    question: rules.CheckQuestion, when: object, now: dt.datetime, tz: ZoneInfo
) -> Hold | None:
    """The hold a dated answer asks for, or None when the question holds nothing."""
    if question.hold_hours is None or not question.asks_date:
        return None
    if not isinstance(when, dt.datetime) or when.utcoffset() is None:
        raise InvalidInput(f"The date for {question.key!r} needs a date and time with a zone.")
    if when > now + _FUTURE_SLACK:
        raise InvalidInput(f"The date for {question.key!r} cannot be in the future.")
    if not limits.in_years(when.year):
        raise InvalidInput(f"The date for {question.key!r} is out of range.")
    return _hold_since(question, when, now)


def _hold_since(question: rules.CheckQuestion, when: dt.datetime, now: dt.datetime) -> Hold:
    assert question.hold_hours is not None
    since = when.astimezone(dt.UTC)
    return Hold(
        since=since,
        until=since + dt.timedelta(hours=question.hold_hours),
        reason=question.reason,
        question=question.key,
        created_at=now,
    )


def _open_slot(upcoming: list[schedule.Slot], plan: Plan, now: dt.datetime) -> schedule.Slot | None:
    """The slot a stop answer skips: the next one, when it is due now or falls on today."""
    if not upcoming:
        return None
    slot = upcoming[0]
    today = now.astimezone(ZoneInfo(plan.tz)).date()
    return slot if slot.due or slot.start.date() == today else None


class CheckCases(Base):
    def run_check(
        self,
        answers: Mapping[str, bool],
        dates: Mapping[str, dt.datetime] = {},
        areas: Sequence[str] | None = None,
    ) -> CheckOutcome:
        """Apply the answers to the stop questions (see the module doc). Questions not answered
        count as "no"; a date given for a question answered "no" is ignored.

        ``areas`` (issue 12: a sunburn on the thighs): where the stop applies. The holds get
        them, and the open slot of every routine rolling them is skipped (this routine's
        outcome, or the first such routine's). None: this routine, and holds for every area."""
        given = _answers(answers, rules.STOP_QUESTIONS, "check")
        where = () if areas is None else check_areas(areas, "check's areas")
        if not isinstance(dates, Mapping):
            raise InvalidInput("The check's dates must map question keys to dates.")
        plan = self.plan()
        tz = ZoneInfo(plan.tz)
        now = self.now()
        holds: list[Hold] = []
        stopped_by: rules.CheckQuestion | None = None
        for question in rules.STOP_QUESTIONS:
            if not given.get(question.key, False):
                continue
            if question.key in dates:
                hold = _hold_for(question, dates[question.key], now, tz)
            elif question.hold_hours is not None and question.asks_date:
                hold = _hold_since(question, now, now)  # no date: "just now", the full interval
            else:
                hold = None
            if hold is not None:
                if hold.until <= now:
                    continue  # the date says its interval has passed
                holds.append(replace(hold, areas=where))
            stopped_by = stopped_by or question
        if stopped_by is None:
            return CheckOutcome(True, None, None, None, None)

        found = self.raw.routines()
        if areas is None or len(found) < 2:
            targets = [self]
        else:
            mine = self.routine_id or found[0].id
            targets = [type(self)(self.raw, self.clock, r.id) for r in found]
            targets = [
                one
                for one in targets
                if one.store.plan() is not None and concerns(where, one.home_plan().zones)
            ]
            # This routine's outcome first (the one the person is about to roll).
            targets.sort(key=lambda one: one.routine_id != mine)
        outcomes = []
        with self.store.transaction():
            # The open slots as they were before the holds (a hold would hide them).
            opened = [(one, one._open_now(now)) for one in targets]
            for hold in holds:
                self.store.put_hold(hold)
            for one, slot in opened:
                outcomes.append(one._stopped(stopped_by, slot, now))
        if not outcomes:  # the areas concern no routine: this one's next slot, nothing skipped
            plan = self.plan()
            upcoming = schedule.upcoming(plan, self.log_for(plan, now), now, 1)
            outcomes.append((None, upcoming[0] if upcoming else None))
        skip, next_slot = outcomes[0]
        hold_until = max((h.until for h in holds), default=None)
        return CheckOutcome(
            False,
            stopped_by.key,
            skip,
            hold_until.astimezone(tz) if hold_until else None,
            next_slot,
        )

    def _open_now(self, now: dt.datetime) -> schedule.Slot | None:
        plan = self.plan()
        return _open_slot(schedule.upcoming(plan, self.log_for(plan, now), now, 1), plan, now)

    def _stopped(
        self, stopped_by: rules.CheckQuestion, slot: schedule.Slot | None, now: dt.datetime
    ) -> tuple[Skip | None, schedule.Slot | None]:
        """Skip this routine's open ``slot`` (caught up: a stop is the check's, not a choice)."""
        plan = self.plan()
        skip = None
        if slot is not None:
            skip = Skip(
                catch_up=True,
                slot=slot.start.astimezone(dt.UTC),
                reason=stopped_by.reason,
                created_at=now,
            )
            self.store.put_skip(skip)
        upcoming = schedule.upcoming(plan, self.log_for(plan, now), now, 1)
        return skip, upcoming[0] if upcoming else None

    def holds(self, *, active: bool = True) -> list[Hold]:
        """The holds recorded (only those not over yet, unless ``active`` is False)."""
        now = self.now()
        return [h for h in self.store.holds() if not active or h.until > now]

    def lift_hold(self, ref: str) -> Hold:
        """Remove a hold by (a prefix of, at least 4 characters) its id: a date typed wrong would
        otherwise block rolling for up to a year."""
        if not isinstance(ref, str) or len(ref.strip()) < 4:
            raise InvalidInput("Give at least 4 characters of the hold's id.")
        ref = ref.strip().lower()
        with self.store.transaction():
            found = [h for h in self.store.holds() if h.id.startswith(ref)]
            if not found:
                raise NotFound(f"No hold with id {ref!r}.")
            if len(found) > 1:
                raise InvalidInput(f"{ref!r} matches several holds: give more of the id.")
            self.store.delete_hold(found[0].id)
        return found[0]

    # -- clinician questions

    def clinician_answers(self) -> dict[str, bool]:
        """The stored answers by question key (empty when the questions were never answered)."""
        return {a.question: a.yes for a in self.store.clinician_answers()}

    def set_clinician_answers(self, answers: Mapping[str, bool]) -> None:
        """Store the answers given (the others keep theirs)."""
        given = _answers(answers, rules.CLINICIAN_QUESTIONS, "clinician")
        now = self.now()
        with self.store.transaction():
            existing = {a.question: a for a in self.store.clinician_answers()}
            for key, yes in given.items():
                old = existing.get(key)
                answer = ClinicianAnswer(question=key, yes=yes, answered_at=now, created_at=now)
                if old is not None:
                    answer = ClinicianAnswer(
                        question=key, yes=yes, answered_at=now, id=old.id, created_at=old.created_at
                    )
                self.store.put_clinician_answer(answer)

    def clinician_notes(self) -> list[str]:
        """The standing notes: each clinician question answered yes, in the questions' order."""
        yes = {a.question for a in self.store.clinician_answers() if a.yes}
        return [q.reason for q in rules.CLINICIAN_QUESTIONS if q.key in yes]
