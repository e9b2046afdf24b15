"""The skin journal (issue 17): progress photos, reactions over time, the photo reminder's day,
the Loop Habit Tracker import, and the photos' part of export and import.

Photos go through :func:`rollminder.photos.clean_image` before anything is stored: a stored
image never holds metadata. The images are the store's (:mod:`rollminder.store.photo_store`);
no face ever reads them but through :meth:`JournalCases.photo_image`.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo

from rollminder import limits
from rollminder.errors import ImportFailed, InvalidInput, NotFound, StorageError
from rollminder.model import Session, Skip
from rollminder.photos import (
    ANGLES,
    PHOTO_EVERY_DAYS,
    Photo,
    check_angle,
    clean_image,
    next_photo_day,
)
from rollminder.usecases.base import Base, find

if TYPE_CHECKING:
    from rollminder.remind.planner import Reminder
    from rollminder.store.photo_store import PhotoStore

#: A fixed namespace: an imported Loop day gets the same id every time (importing twice
#: changes nothing).
LOOP_NAMESPACE = uuid.UUID("6f1d7a52-1c0e-4b7e-9a51-7c2f3f6b0a11")
LOOP_NOTE = "Imported from Loop Habit Tracker (the time is your plan's)."
STRONG = "strong"
#: Our default (no source gives one; ask your clinician): after two strong reactions in a row,
#: suggest a week more rest.
EXTRA_REST_DAYS = 7


class ReactionPoint(NamedTuple):
    day: dt.date
    reaction: str  # one of model.REACTIONS
    session_id: str


@dataclass(frozen=True)
class ReactionTrend:
    """The reactions logged after a routine's sessions, oldest first, and whether to suggest
    more rest (two strong reactions in a row: a suggestion only, never a change)."""

    routine: str  # its name ("face")
    points: tuple[ReactionPoint, ...]
    rest_days: int  # the plan's rest now
    suggest_rest_days: int | None  # our default: ask your clinician; None when not suggested


@dataclass(frozen=True)
class LoopImport:
    habit: str
    sessions_added: int
    skips_added: int
    unchanged: int

    def summary(self, source: str) -> str:
        if not self.sessions_added and not self.skips_added:
            return f"Nothing new in {source}: all {self.unchanged} days were already here."
        s = "s" if self.sessions_added != 1 else ""
        k = "s" if self.skips_added != 1 else ""
        return (
            f"Imported {self.habit!s} from {source}: {self.sessions_added} session{s} and "
            f"{self.skips_added} skip{k} added ({self.unchanged} already here); the time of "
            "day is your plan's."
        )


class JournalCases(Base):
    # -- photos ----------------------------------------------------------------------------------

    def _photos(self) -> PhotoStore:
        """The store's photo role; a store without one (hosted, until ported) says so."""
        from rollminder.store.photo_store import PhotoStore

        if not isinstance(self.raw, PhotoStore):
            raise StorageError("Photos are not available with this store yet.")
        return self.raw

    def add_photo(
        self, data: bytes, *, angle: str, area: str = "", note: str = "", tz: str | None = None
    ) -> Photo:
        """Clean and store a photo taken now (in ``tz``, else the zone the person is in)."""
        angle, area = check_angle(angle, area)
        note = limits.NOTE.check(note, "note")
        cleaned = clean_image(data)
        now = self.now()
        zone = tz if tz else self.zone().key
        try:
            ZoneInfo(zone)
        except Exception as exc:
            raise InvalidInput("That is not a time zone.") from exc
        photo = Photo(
            taken=now,
            angle=angle,
            area=area,
            width=cleaned.width,
            height=cleaned.height,
            tz=zone,
            note=note,
            created_at=now,
        )
        self._photos().put_photo(photo, cleaned.image, cleaned.thumb)
        return photo

    def photos(self, angle: str | None = None) -> list[Photo]:
        found: list[Photo] = self._photos().photos()
        return [p for p in found if angle is None or p.angle == angle]

    def photo(self, ref: str) -> Photo:
        rows = self.photos()
        wanted = find(rows, ref, "photo")
        return next(p for p in rows if p.id == wanted)

    def photo_image(self, ref: str, kind: str = "image") -> bytes:
        photo = self.photo(ref)
        data: bytes | None = self._photos().photo_bytes(photo.id, kind)
        if data is None:
            raise NotFound("That photo's image is missing.")
        return data

    def delete_photo(self, ref: str) -> Photo:
        photo = self.photo(ref)
        self._photos().delete_photo(photo.id)
        return photo

    def timeline(self) -> dict[str, list[Photo]]:
        """The photos by angle (a close-up by its area: "closeup:cheeks"), oldest first."""
        out: dict[str, list[Photo]] = {}
        for p in self.photos():
            key = p.angle if p.angle != "closeup" else f"closeup:{p.area}"
            out.setdefault(key, []).append(p)
        order = {a: i for i, a in enumerate(ANGLES)}
        return dict(sorted(out.items(), key=lambda kv: (order[kv[0].split(":")[0]], kv[0])))

    def rolling_days(self, since: dt.date, until: dt.date) -> set[dt.date]:
        """The local days with a session done or planned (every routine), ``since``..``until``."""
        days: set[dt.date] = set()
        for _routine, app in self.each_routine():  # type: ignore[attr-defined]
            if not app.has_plan():
                continue
            plan = app.plan()
            start = dt.datetime.combine(since, dt.time(0), ZoneInfo(plan.tz))
            for s in app.store.sessions(since=start):
                days.add(s.local_start(plan.tz).date())
            for slot in app.outlook(count=12).slots:
                if slot.day <= until:
                    days.add(slot.day)
        return days

    def next_photo(self) -> dt.date:
        """The day the next photo is asked for (our default: every 4 weeks, never on a rolling
        day or the day after)."""
        today = self.local_now().date()
        taken = self.photos()
        last = max((p.local_day() for p in taken), default=None)
        rolling = self.rolling_days(today - dt.timedelta(days=2), today + dt.timedelta(days=90))
        return next_photo_day(last, today, rolling, PHOTO_EVERY_DAYS)

    def photo_reminders(self, now: dt.datetime) -> list[Reminder]:
        """The progress photo's reminder through the same channels and ledger as the session
        reminders (our default: every 4 weeks after the last one). The first photo is the
        person's to take (the baseline): before it, and without a plan, none."""
        from rollminder.remind import planner
        from rollminder.store.photo_store import PhotoStore

        if not isinstance(self.raw, PhotoStore) or not self.has_plan():
            return []
        taken = self.photos()
        if not taken:
            return []
        plan = self.plan()
        tz = ZoneInfo(plan.tz)
        last = max(taken, key=lambda p: p.taken)
        start = last.local_day() + dt.timedelta(days=PHOTO_EVERY_DAYS)
        rolling = self.rolling_days(start - dt.timedelta(days=2), start + dt.timedelta(days=90))
        day = next_photo_day(None, start, rolling, PHOTO_EVERY_DAYS)
        return [planner.photo_reminder(last.id, day, plan.time, tz)]

    # -- reactions over time ----------------------------------------------------------------------

    def reaction_trends(self) -> list[ReactionTrend]:
        out = []
        for routine, app in self.each_routine():  # type: ignore[attr-defined]
            if not app.has_plan():
                continue
            plan = app.home_plan()
            points = tuple(
                ReactionPoint(s.local_start(plan.tz).date(), s.reaction, s.id)
                for s in app.store.sessions()
                if s.reaction
            )
            rest_days = -(-plan.rest_hours // 24)
            last_two = [p.reaction for p in points[-2:]]
            suggest = rest_days + EXTRA_REST_DAYS if last_two == [STRONG, STRONG] else None
            name = routine.name if routine is not None else "your routine"
            out.append(ReactionTrend(name, points, rest_days, suggest))
        return out

    # -- Loop Habit Tracker ------------------------------------------------------------------------

    def loop_habits(self, path: Path) -> list[str]:
        from rollminder.transfer.loop import read_loop

        return [h.name for h in read_loop(path)]

    def import_loop(self, path: Path, habit: str | None = None) -> LoopImport:
        """Import one habit of a Loop file as this routine's sessions and skips (one line and
        nothing changed for a file that is not Loop's or a habit that is not in it)."""
        from rollminder.transfer.loop import SKIP, YES, read_loop

        habits = read_loop(path)
        name = path.name
        if habit is None:
            if len(habits) > 1:
                names = ", ".join(h.name for h in habits)
                raise InvalidInput(f"{name} holds several habits ({names}): choose one.")
            chosen = habits[0]
        else:
            hits = [h for h in habits if h.name.casefold() == habit.strip().casefold()]
            if not hits:
                names = ", ".join(h.name for h in habits)
                raise NotFound(f"{name} has no habit {limits.shown(habit)}: it holds {names}.")
            chosen = hits[0]
        plan = self.home_plan()
        now = self.now()
        tz = ZoneInfo(plan.tz)
        oldest = dt.datetime(limits.SESSION_FIRST_YEAR, 1, 1, tzinfo=dt.UTC)
        added = skipped = unchanged = 0
        with self.store.transaction():
            done_days = {s.local_start(plan.tz).date() for s in self.store.sessions()}
            skip_days = {k.slot.astimezone(tz).date() for k in self.store.skips()}
            ids = {s.id for s in self.store.sessions()} | {k.id for k in self.store.skips()}
            for entry in chosen.entries:
                rid = uuid.uuid5(
                    LOOP_NAMESPACE, f"{self.routine_id or ''}|{chosen.name}|{entry.day}"
                ).hex
                at = dt.datetime.combine(entry.day, plan.time, tz)
                if at < oldest or at > now + limits.SESSION_AHEAD:
                    if entry.day == now.astimezone(tz).date():
                        at = now
                    else:
                        raise ImportFailed(
                            f"Cannot import {name}: {chosen.name} has a day ({entry.day}) "
                            "before 2000 or in the future. Nothing was changed."
                        )
                if rid in ids or (entry.what == YES and entry.day in done_days):
                    unchanged += 1
                    continue
                note = LOOP_NOTE + (f"\n{entry.note}" if entry.note else "")
                note = note[: limits.NOTE.most]
                if entry.what == YES:
                    self.store.put_session(
                        Session(
                            start=at,
                            minutes=plan.minutes,
                            zones=plan.zones,
                            note=note,
                            tz=plan.tz,
                            id=rid,
                            created_at=now,
                        )
                    )
                    done_days.add(entry.day)
                    added += 1
                elif entry.what == SKIP:
                    if entry.day in skip_days:
                        unchanged += 1
                        continue
                    reason = "Skipped in Loop Habit Tracker" + (
                        f": {entry.note}" if entry.note else ""
                    )
                    self.store.put_skip(Skip(slot=at, reason=reason[:480], id=rid, created_at=now))
                    skip_days.add(entry.day)
                    skipped += 1
        return LoopImport(chosen.name, added, skipped, unchanged)

    # -- the report for the dermatologist ------------------------------------------------------

    def report_pdf(self, weeks: object, pairs: list[tuple[str, str]] | None = None) -> bytes:
        """The report's PDF over the last ``weeks`` weeks (see :mod:`rollminder.report`)."""
        from rollminder import report

        return report.render(report.gather(self, weeks, pairs))  # type: ignore[arg-type]

    # -- export and import with photos -----------------------------------------------------------

    def export_zip(self) -> bytes:
        """A zip: ``rollminder.json`` (the JSON export), ``photos.json`` (the photos' rows) and
        ``photos/<id>.jpg`` (each stored image, byte for byte)."""
        rows = []
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr("rollminder.json", self.export_json())  # type: ignore[attr-defined]
            for p in self.photos():
                rows.append(_photo_row(p))
                archive.writestr(f"photos/{p.id}.jpg", self.photo_image(p.id))
            archive.writestr("photos.json", json.dumps({"photos": rows}, indent=1))
        return out.getvalue()

    def import_zip(self, data: bytes, *, source: str) -> tuple[object, int, int]:
        """Import a zip made by :meth:`export_zip`: (the JSON import's report, photos added,
        photos already here). Every photo is checked before anything changes."""
        bad = f"Cannot import {source}: it is not a rollminder export with photos."
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            _check_unpacked(archive, len(data), bad)
            names = set(archive.namelist())
            if "rollminder.json" not in names or "photos.json" not in names:
                raise ImportFailed(bad + " Nothing was changed.")
            text = archive.read("rollminder.json").decode("utf-8")
            listed = json.loads(archive.read("photos.json")).get("photos", [])
            items = []
            for row in listed:
                photo = _photo_from(row)
                image = archive.read(f"photos/{photo.id}.jpg")
                items.append((photo, image))
        except ImportFailed:
            raise
        except (zipfile.BadZipFile, KeyError, ValueError, TypeError, AttributeError) as exc:
            raise ImportFailed(f"{bad} ({type(exc).__name__}) Nothing was changed.") from None
        from rollminder.photos import THUMB_SIDE, metadata_blocks

        for _photo, image in items:
            if metadata_blocks(image) not in ([], ["APP0"]):
                raise ImportFailed(f"{bad} A photo holds metadata. Nothing was changed.")
            _check_stored_jpeg(image, bad)
        report = self.import_json(text, source=source)  # type: ignore[attr-defined]
        store = self._photos()
        added = same = 0
        for photo, image in items:
            if store.photo(photo.id) is not None:
                same += 1
                continue
            thumb = _thumb(image, THUMB_SIDE)
            store.put_photo(photo, image, thumb)
            added += 1
        return report, added, same


#: A zip of photos holds at most this many files.
MAX_ZIP_FILES = 20_000
#: What it may unpack to beyond its own size (an export stores its photos as they are, so it
#: unpacks to about its size; a zip bomb unpacks to thousands of times its size).
ZIP_SLACK = 64 * 1024 * 1024


def _check_unpacked(archive: zipfile.ZipFile, size: int, bad: str) -> None:
    """Refuse, before reading anything, a zip whose files are too many or unpack too large: each
    JSON file at most an import's size, each photo at most an upload's, all together at most
    twice the zip plus :data:`ZIP_SLACK` (a file's size as the zip declares it; zipfile checks the
    declared size and the CRC as it reads)."""
    from rollminder.photos import MAX_UPLOAD_BYTES
    from rollminder.transfer import MAX_IMPORT_BYTES

    infos = archive.infolist()
    if len(infos) > MAX_ZIP_FILES:
        raise ImportFailed(
            f"{bad} It holds more than {MAX_ZIP_FILES:,} files. Nothing was changed."
        )
    total = 0
    for info in infos:
        most = MAX_IMPORT_BYTES if info.filename.endswith(".json") else MAX_UPLOAD_BYTES
        if info.file_size > most:
            raise ImportFailed(f"{bad} A file inside is too large. Nothing was changed.")
        total += info.file_size
    if total > 2 * size + ZIP_SLACK:
        raise ImportFailed(f"{bad} It unpacks to far more than its size. Nothing was changed.")


def _check_stored_jpeg(image: bytes, bad: str) -> None:
    """A photo as rollminder stores it: a JPEG of at most MAX_SIDE pixels a side (read from its
    header only: an image of enormous size is refused before it is decoded)."""
    from PIL import Image

    from rollminder.photos import MAX_SIDE

    try:
        with Image.open(io.BytesIO(image)) as opened:
            form, (width, height) = opened.format, opened.size
    except Exception:  # Pillow raises many kinds for what is not an image
        raise ImportFailed(f"{bad} A photo cannot be read. Nothing was changed.") from None
    if form != "JPEG" or max(width, height) > MAX_SIDE:
        raise ImportFailed(f"{bad} A photo is not one rollminder stored. Nothing was changed.")


def _photo_row(p: Photo) -> dict[str, object]:
    return {
        "id": p.id,
        "taken": p.taken.isoformat(),
        "angle": p.angle,
        "area": p.area,
        "width": p.width,
        "height": p.height,
        "tz": p.tz,
        "note": p.note,
        "created_at": p.created_at.isoformat(),
    }


def _photo_from(row: dict[str, object]) -> Photo:
    taken = dt.datetime.fromisoformat(str(row["taken"]))
    created = dt.datetime.fromisoformat(str(row["created_at"]))
    if taken.tzinfo is None or created.tzinfo is None:
        raise ValueError("naive time")
    angle, area = check_angle(str(row["angle"]), str(row.get("area", "")))
    pid = str(row["id"])
    if len(pid) != 32 or any(c not in "0123456789abcdef" for c in pid):
        raise ValueError("bad id")
    tz = str(row.get("tz", ""))
    if tz:
        ZoneInfo(tz)
    width, height = row["width"], row["height"]
    if not isinstance(width, int) or not isinstance(height, int):
        raise ValueError("bad size")
    return Photo(
        taken=taken.astimezone(dt.UTC),
        angle=angle,
        area=area,
        width=width,
        height=height,
        tz=tz,
        note=limits.NOTE.check(row.get("note", ""), "note"),
        id=pid,
        created_at=created.astimezone(dt.UTC),
    )


def _thumb(image: bytes, side: int) -> bytes:
    from PIL import Image

    from rollminder.photos import _jpeg

    with Image.open(io.BytesIO(image)) as opened:
        small = opened.convert("RGB")
        small.thumbnail((side, side), Image.Resampling.LANCZOS)
        return _jpeg(small)


__all__ = ["JournalCases", "LoopImport", "ReactionTrend"]
