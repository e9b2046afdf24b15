"""Use cases of in-office treatments: visits and series, and when to book the next visit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from typing import NamedTuple

from rollminder import limits, rules
from rollminder.errors import Conflict, InvalidInput, NotFound
from rollminder.model import Series, Visit
from rollminder.usecases.base import Base, check_areas, find
from rollminder.usecases.undo import KEEP, Keep, journal


def _one_at_a_time(visit: Visit, visits: list[Visit]) -> None:
    if any(v.at == visit.at and v.id != visit.id for v in visits):
        raise Conflict("A visit at that time is already recorded.")


class SeriesStatus(NamedTuple):
    series: Series
    visits: tuple[Visit, ...]
    done: int  # visits before now
    remaining: int
    next_visit: Visit | None  # the next booked visit
    book_from: dt.date | None  # when no next visit is booked: the window to book it in
    book_until: dt.date | None


def series_window(last: dt.date, spacing_weeks: int) -> tuple[dt.date, dt.date]:
    """When to book the visit after the one on ``last``. A series spaced within the usual 4-6
    weeks may book anywhere in 4-6 weeks (the LifeZette article); one the clinic spaced
    otherwise books in the week its spacing falls on (never earlier than the clinic asked)."""
    if rules.SERIES_MIN_WEEKS <= spacing_weeks <= rules.SERIES_MAX_WEEKS:
        lo, hi = (
            dt.timedelta(weeks=rules.SERIES_MIN_WEEKS),
            dt.timedelta(weeks=rules.SERIES_MAX_WEEKS),
        )
    else:
        lo = dt.timedelta(weeks=spacing_weeks)
        hi = lo + dt.timedelta(days=6)
    return last + lo, last + hi


class ClinicCases(Base):
    def track_clinic_only(self, tz: str) -> str:
        """Set up the clinic-only way (a needle of 1.0 mm or longer has no home plan, DOMAIN.md):
        visits and series in the zone ``tz`` (any name :func:`zonenames.zone_name` takes).
        Returns the IANA name. A plan made later takes over; the visits stay."""
        from dataclasses import replace

        from rollminder.zonenames import zone_name

        name = zone_name(tz)
        rules.check_zone(name)
        with self.store.transaction():
            self.store.put_settings(replace(self.store.settings(), clinic_zone=name))
        return name

    def add_visit(
        self,
        *,
        at: dt.datetime,
        clinic: str = "",
        note: str = "",
        series_ref: str | None = None,
        areas: Sequence[str] | None = None,
    ) -> Visit:
        """Record a visit; ``series_ref`` names its series by name or by (a prefix of) its id.
        ``areas``: what was treated (issue 12), whose routines its blackout stops; default the
        face (in-office micro-needling is a facial treatment): the thighs go on."""
        treated = ("face",) if areas is None else check_areas(areas, "visit's areas")
        at = limits.instant(at, "visit's time")
        now = self.now()
        with self.store.transaction():
            series_id = None if series_ref is None else self._series_id(series_ref)
            visit = Visit(
                at=at.astimezone(dt.UTC),
                clinic=limits.NAME.check(clinic, "clinic"),
                note=limits.NOTE.check(note, "note"),
                series_id=series_id,
                created_at=now,
                areas=treated,
            )
            _one_at_a_time(visit, self.store.visits())
            self.store.put_visit(visit)
        return visit

    def edit_visit(
        self,
        ref: str,
        *,
        at: dt.datetime | None = None,
        clinic: str | Keep = KEEP,
        note: str | Keep = KEEP,
        series_ref: str | Keep | None = KEEP,
    ) -> Visit:
        """Change a visit (by a prefix of its id) with the same checks as adding it; a visit
        joins a series by its name or id (``series_ref``), or leaves it (None). It keeps its
        id; ``undo`` takes it back."""
        now = self.now()
        with self.store.transaction():
            visits = self.store.visits()
            vid = find(visits, ref, "visit")
            old = next(v for v in visits if v.id == vid)
            new = replace(
                old,
                at=old.at if at is None else limits.instant(at, "visit's time").astimezone(dt.UTC),
                clinic=old.clinic
                if isinstance(clinic, Keep)
                else limits.NAME.check(clinic, "clinic"),
                note=old.note if isinstance(note, Keep) else limits.NOTE.check(note, "note"),
                series_id=old.series_id
                if isinstance(series_ref, Keep)
                else None
                if series_ref is None
                else self._series_id(series_ref),
            )
            _one_at_a_time(new, visits)
            self.store.put_visit(new)
            journal(self.store, now, "edit", [(old, new)])
        return new

    def visits(self) -> list[Visit]:
        return self.store.visits()

    def delete_visit(self, ref: str) -> Visit:
        """Delete a visit (by a prefix of its id); ``undo`` brings it back."""
        with self.store.transaction():
            visits = self.store.visits()
            vid = find(visits, ref, "visit")
            self.store.delete_visit(vid)
            visit = next(v for v in visits if v.id == vid)
            journal(self.store, self.now(), "delete", [(visit, None)])
            return visit

    def _series_id(self, ref: object) -> str:
        """The series named ``ref`` (its name, any case), or whose id starts with ``ref``."""
        series = self.store.series()
        if isinstance(ref, str):
            name = " ".join(ref.split()).casefold()
            named = [s for s in series if " ".join(s.name.split()).casefold() == name]
            if len(named) == 1:
                return named[0].id
            if len(named) > 1:
                raise InvalidInput(f"Several series are named {ref.strip()!r}: give its id.")
            if not series:
                raise NotFound("There is no series yet: start one first.")
            if len(ref.strip()) < 4 or not all(c in "0123456789abcdef" for c in ref.strip()):
                raise NotFound(f"No series named {ref.strip()!r}.")
        return find(series, ref, "series")

    def add_series(self, *, name: str, count: int, spacing_weeks: int) -> Series:
        count = limits.SERIES_VISITS.check(count, "number of visits")
        spacing_weeks = limits.SERIES_WEEKS.check(spacing_weeks, "number of weeks between visits")
        name = limits.NAME.check(name, "name") or "Clinic series"
        series = Series(name=name, count=count, spacing_weeks=spacing_weeks, created_at=self.now())
        with self.store.transaction():
            self.store.put_series(series)
        return series

    def series_status(self) -> list[SeriesStatus]:
        now = self.now()
        tz = self.zone()
        today = now.astimezone(tz).date()
        visits = self.store.visits()
        out = []
        for s in self.store.series():
            mine = tuple(v for v in visits if v.series_id == s.id)
            done = sum(1 for v in mine if v.at <= now)
            upcoming = [v for v in mine if v.at > now]
            remaining = max(0, s.count - len(mine)) + len(upcoming)
            book_from = book_until = None
            if not upcoming and len(mine) < s.count:
                if mine:
                    book_from, book_until = series_window(
                        mine[-1].at.astimezone(tz).date(), s.spacing_weeks
                    )
                    # A window already past: book now (never a window in the past).
                    book_from = max(book_from, today)
                    book_until = max(book_until, book_from)
                else:
                    book_from = book_until = today
            out.append(
                SeriesStatus(
                    s,
                    mine,
                    done,
                    remaining,
                    upcoming[0] if upcoming else None,
                    book_from,
                    book_until,
                )
            )
        return out
