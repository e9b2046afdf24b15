"""Use cases of in-office treatments: visits and series, and when to book the next visit."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from rollminder import limits, rules
from rollminder.errors import Conflict
from rollminder.model import Series, Visit
from rollminder.usecases.base import Base, find


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
        self, *, at: dt.datetime, clinic: str = "", note: str = "", series_ref: str | None = None
    ) -> Visit:
        at = limits.instant(at, "visit's time")
        now = self.now()
        with self.store.transaction():
            series_id = None
            if series_ref is not None:
                series_id = find(self.store.series(), series_ref, "series")
            visit = Visit(
                at=at.astimezone(dt.UTC),
                clinic=limits.NAME.check(clinic, "clinic"),
                note=limits.NOTE.check(note, "note"),
                series_id=series_id,
                created_at=now,
            )
            if any(v.at == visit.at for v in self.store.visits()):
                raise Conflict("A visit at that time is already recorded.")
            self.store.put_visit(visit)
        return visit

    def visits(self) -> list[Visit]:
        return self.store.visits()

    def delete_visit(self, ref: str) -> Visit:
        with self.store.transaction():
            visits = self.store.visits()
            vid = find(visits, ref, "visit")
            self.store.delete_visit(vid)
            return next(v for v in visits if v.id == vid)

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
