"""A rollminder data directory holding 10 years of twice-weekly history, for the speed bench.

Two parts, kept apart on purpose:

- :func:`generate` builds the rows as rollminder's domain values (``rollminder.model`` dataclasses
  and ``rollminder.rules.make_plan``). Pure and seeded: the same rows on every run.
- :func:`write` is the only adapter to rollminder's storage API. When the store or service API
  changes, this is the one function to fix.

Run alone to build it: ``.venv/bin/python bench/data.py [DIR]``.
"""

from __future__ import annotations

import datetime as _dt
import datetime as dt
import random
import shutil
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from rollminder import rules
from rollminder.model import DEFAULT_ZONES, Pause, Plan, Roller, Series, Session, Skip, Visit

if TYPE_CHECKING:
    from rollminder.store import Store

#: When test records were made (model records take created_at from the use case).
T0 = _dt.datetime(2026, 1, 1, tzinfo=_dt.UTC)

TZ = "Europe/Berlin"
#: The fixed "now" of the bench (ROLLMINDER_NOW), so every run prints the same thing.
NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo(TZ))
YEARS = 10


@dataclass
class Dataset:
    plan: Plan
    sessions: list[Session] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    pauses: list[Pause] = field(default_factory=list)
    rollers: list[Roller] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.sessions)} sessions, {len(self.skips)} skips, {len(self.pauses)} pauses, "
            f"{len(self.rollers)} rollers, {len(self.visits)} visits"
        )


def generate(now: dt.datetime = NOW, years: int = YEARS, seed: int = 10) -> Dataset:
    """Twice-weekly (Mon, Thu 21:00, 0.25 mm) history from ``years`` ago until ``now``.

    Most slots are done (a little early or late, some caught up the next day); some are skipped,
    some simply missed. A few pauses, a series of clinic visits plus single visits (no rolling in
    their blackout), and a new roller after 10 uses or 90 days.
    """
    rng = random.Random(seed)
    zone = ZoneInfo(TZ)
    first = now.astimezone(zone).date() - dt.timedelta(days=365 * years)
    first -= dt.timedelta(days=first.weekday())  # a Monday
    plan = rules.make_plan(
        needle_mm=0.25,
        start=first,
        sessions=2,
        weekdays=(0, 3),
        time=dt.time(21, 0),
        tz=TZ,
        minutes=3,
        zones=DEFAULT_ZONES,
        created_at=T0,
    )
    plan = replace(plan, created_at=dt.datetime.combine(first, dt.time(9, 0), zone))
    data = Dataset(plan=plan)

    def at(day: dt.date, hour: int = 10) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, 0), zone)

    # Pauses: a holiday or a skin flare, 1-3 weeks, spread over the years.
    for year in range(0, years, 2):
        start = first + dt.timedelta(days=365 * year + rng.randint(60, 300))
        last = start + dt.timedelta(days=rng.randint(7, 21))
        reason = rng.choice(("holiday", "irritated skin", "sunburn", ""))
        data.pauses.append(Pause(first=start, last=last, reason=reason, created_at=at(start)))

    # A clinic series (4 visits, 6 weeks apart) in year 4, and a few single visits.
    series_day = first + dt.timedelta(days=365 * 4)
    series = Series(
        name="clinic microneedling", count=4, spacing_weeks=6, created_at=at(series_day)
    )
    data.series.append(series)
    for n in range(4):
        day = first + dt.timedelta(days=365 * 4 + 2 + 42 * n)
        data.visits.append(
            Visit(
                at=at(day, 15),
                clinic="Hautarztpraxis Mitte",
                note=f"series visit {n + 1}",
                series_id=series.id,
                created_at=at(day - dt.timedelta(days=30)),
            )
        )
    for year in (2, 7, 9):
        day = first + dt.timedelta(days=365 * year + rng.randint(20, 340))
        data.visits.append(
            Visit(
                at=at(day, 11),
                clinic="Hautarztpraxis Mitte",
                note="check-up",
                created_at=at(day - dt.timedelta(days=20)),
            )
        )
    data.visits.sort(key=lambda v: v.at)

    def resting(day: dt.date) -> bool:
        if any(p.first <= day <= p.last for p in data.pauses):
            return True
        for visit in data.visits:
            vday = visit.at.astimezone(zone).date()
            before = dt.timedelta(days=plan.blackout_before_days)
            after = dt.timedelta(days=plan.blackout_after_days)
            if vday - before <= day <= vday + after:
                return True
        return False

    roller: Roller | None = None
    uses = 0

    def current_roller(day: dt.date) -> Roller:
        nonlocal roller, uses
        if roller is None or uses >= 10 or (day - roller.added).days >= 90:
            if roller is not None:
                data.rollers[-1] = replace(roller, retired=day)
            roller = Roller(
                label=f"0.25 mm roller #{len(data.rollers) + 1}",
                needle_mm=0.25,
                added=day,
                first_use=day,
                created_at=at(day, 9),
            )
            data.rollers.append(roller)
            uses = 0
        uses += 1
        return roller

    reactions = ("none",) * 12 + ("mild",) * 5 + ("moderate",) * 2 + ("strong", None, None)
    day = first
    while True:
        if day.weekday() in plan.weekdays:
            slot = dt.datetime.combine(day, plan.time, zone)
            if slot >= now:
                break
            if not resting(day):
                roll = rng.random()
                if roll < 0.89:  # done, a little early or late
                    start = slot + dt.timedelta(minutes=rng.randint(-40, 75))
                elif roll < 0.92:  # caught up the next day
                    start = slot + dt.timedelta(days=1, minutes=rng.randint(-20, 30))
                elif roll < 0.96:
                    start = None
                    reason = rng.choice(("too tired", "travelling", "skin irritated", "late out"))
                    data.skips.append(Skip(slot=slot, reason=reason, created_at=slot))
                else:  # simply missed
                    start = None
                if start is not None and start < now:
                    note = rng.choice(("",) * 8 + ("slight redness", "used hyaluronic serum"))
                    zones = DEFAULT_ZONES if rng.random() < 0.8 else ("forehead", "cheeks")
                    data.sessions.append(
                        Session(
                            start=start,
                            minutes=rng.choice((2, 3, 3, 3, 3, 4, 5)),
                            zones=zones,
                            reaction=rng.choice(reactions),
                            note=note,
                            roller_id=current_roller(start.date()).id,
                            created_at=start + dt.timedelta(minutes=5),
                        )
                    )
        day += dt.timedelta(days=1)
    return data


def write(home: Path, data: Dataset, now: dt.datetime = NOW) -> Path:
    """Store ``data`` as the default profile of a fresh data directory ``home``. The adapter."""
    from rollminder.env import DB_NAME, DEFAULT_PROFILE
    from rollminder.store.sqlite import SqliteStore

    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    store = SqliteStore.open(home / DB_NAME, profile=DEFAULT_PROFILE, now=now)
    try:
        put_all(store, data)
    finally:
        store.close()
    return home


def put_all(store: Store, data: Dataset) -> None:
    """Write ``data`` into ``store`` in one transaction (any store: SQLite, PostgreSQL)."""
    with store.transaction():
        store.put_plan(data.plan)
        for roller in data.rollers:
            store.put_roller(roller)
        for series in data.series:
            store.put_series(series)
        for visit in data.visits:
            store.put_visit(visit)
        for pause in data.pauses:
            store.put_pause(pause)
        for skip in data.skips:
            store.put_skip(skip)
        for session in data.sessions:
            store.put_session(session)


def build(home: Path, now: dt.datetime = NOW) -> Dataset:
    data = generate(now)
    write(home, data, now)
    return data


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("bench/.work/data-10y")
    print(f"{target}: {build(target).summary()}")
