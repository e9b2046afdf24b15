"""The SQLite schema, as an ordered list of versioned migrations.

Rules (DESIGN.md, "Conventions"):

- A migration is appended, never edited once released: databases in the wild already ran it.
- Each one runs in its own transaction together with its row in ``schema_migrations`` and the new
  ``PRAGMA user_version`` (the per-command fast path reads only that pragma).
- Never drop-and-recreate a table that holds user data: the log is the user's only copy. Use
  ``ALTER TABLE ... ADD COLUMN``, or build the new table, copy the rows and swap, in one migration.
- Columns are named after the dataclass fields in :mod:`rollminder.model`: the store maps them
  generically, so a new field needs a migration adding its column.

Encodings: instants are UTC ISO-8601 text of fixed width ('2026-11-26T20:00:00.000000+00:00', so
text order is time order); dates are ISO text; tuples are JSON arrays; ``Plan.time`` is 'HH:MM'.
Every row belongs to a profile; a row's key is ``(profile_id, id)`` so the same exported row can be
imported into two profiles without one overwriting the other.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import NamedTuple

#: Written to the header (``PRAGMA application_id``): tells our files from other SQLite files.
APPLICATION_ID = 0x526F6C6D  # "Rolm"


class Migration(NamedTuple):
    version: int
    name: str
    #: SQL statements separated by ';' (run one by one, inside the migration's transaction), or a
    #: callable given the connection, for changes that need Python (e.g. rewriting values).
    apply: str | Callable[[sqlite3.Connection], None]


_V1_INITIAL = """
CREATE TABLE profiles (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE plans (
    profile_id INTEGER NOT NULL REFERENCES profiles (id),
    id TEXT NOT NULL,
    needle_mm REAL NOT NULL,
    sessions INTEGER NOT NULL,
    every_weeks INTEGER NOT NULL,
    weekdays TEXT NOT NULL,            -- JSON array of ints, 0 = Monday
    "time" TEXT NOT NULL,              -- local wall time, 'HH:MM'
    tz TEXT NOT NULL,                  -- IANA zone name
    minutes REAL NOT NULL,
    zones TEXT NOT NULL,               -- JSON array
    directions TEXT NOT NULL,          -- JSON array
    passes INTEGER NOT NULL,
    rest_hours INTEGER NOT NULL,
    "start" TEXT NOT NULL,             -- ISO date
    blackout_before_days INTEGER NOT NULL,
    blackout_after_days INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (profile_id, id)
);
CREATE INDEX plans_by_created ON plans (profile_id, created_at);

CREATE TABLE sessions (
    profile_id INTEGER NOT NULL REFERENCES profiles (id),
    id TEXT NOT NULL,
    "start" TEXT NOT NULL,
    minutes REAL NOT NULL,
    zones TEXT NOT NULL,
    reaction TEXT,
    note TEXT NOT NULL,
    roller_id TEXT,                    -- no foreign key: import may bring sessions before rollers
    created_at TEXT NOT NULL,
    PRIMARY KEY (profile_id, id)
);
CREATE INDEX sessions_by_start ON sessions (profile_id, "start");
CREATE INDEX sessions_by_roller ON sessions (profile_id, roller_id);

CREATE TABLE skips (
    profile_id INTEGER NOT NULL REFERENCES profiles (id),
    id TEXT NOT NULL,
    slot TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (profile_id, id)
);
CREATE INDEX skips_by_slot ON skips (profile_id, slot);

CREATE TABLE pauses (
    profile_id INTEGER NOT NULL REFERENCES profiles (id),
    id TEXT NOT NULL,
    "first" TEXT NOT NULL,
    "last" TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (profile_id, id)
);

CREATE TABLE rollers (
    profile_id INTEGER NOT NULL REFERENCES profiles (id),
    id TEXT NOT NULL,
    label TEXT NOT NULL,
    needle_mm REAL NOT NULL,
    added TEXT NOT NULL,
    first_use TEXT,
    initial_uses INTEGER NOT NULL,
    retired TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (profile_id, id)
);

CREATE TABLE series (
    profile_id INTEGER NOT NULL REFERENCES profiles (id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    "count" INTEGER NOT NULL,
    spacing_weeks INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (profile_id, id)
);

CREATE TABLE visits (
    profile_id INTEGER NOT NULL REFERENCES profiles (id),
    id TEXT NOT NULL,
    "at" TEXT NOT NULL,
    clinic TEXT NOT NULL,
    note TEXT NOT NULL,
    series_id TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (profile_id, id)
);
CREATE INDEX visits_by_at ON visits (profile_id, "at");

-- One row per (profile, Settings field); the value is JSON. Missing keys take the dataclass
-- default, so a new Settings field needs no migration.
CREATE TABLE settings (
    profile_id INTEGER NOT NULL REFERENCES profiles (id),
    "key" TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (profile_id, "key")
);
"""

# -- reminders (issue #5) ----------------------------------------------------------------------
# channels: where reminders go (an Apprise URL, or desktop://). The URL may hold secrets: the
# database file is 0600 and only ``masked`` is ever shown. channel_status: each channel's health
# (also for the implicit desktop channel, id 'desktop'). deliveries: the ledger, one row per
# (slot, kind, channel), claimed -> sent -> recorded. snoozes: the extra session reminders asked
# for with `rollminder snooze`. reminder_state: small facts (daemon heartbeat, desktop probe).
_V2_REMINDERS = """
CREATE TABLE channels (
    profile_id INTEGER NOT NULL REFERENCES profiles (id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    masked TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (profile_id, id),
    UNIQUE (profile_id, name)
);

CREATE TABLE channel_status (
    profile_id INTEGER NOT NULL REFERENCES profiles (id),
    channel TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    last_error_at TEXT,
    last_sent_at TEXT,
    retry_at TEXT,
    PRIMARY KEY (profile_id, channel)
);

CREATE TABLE deliveries (
    profile_id INTEGER NOT NULL REFERENCES profiles (id),
    slot TEXT NOT NULL,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('claimed', 'sent', 'recorded')),
    due_at TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    owner TEXT NOT NULL,
    sent_at TEXT,
    recorded_at TEXT,
    late INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (profile_id, slot, kind, channel)
);
CREATE INDEX deliveries_by_due ON deliveries (profile_id, due_at);

CREATE TABLE snoozes (
    profile_id INTEGER NOT NULL REFERENCES profiles (id),
    slot TEXT NOT NULL,
    n INTEGER NOT NULL,
    "until" TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (profile_id, slot, n)
);

CREATE TABLE reminder_state (
    profile_id INTEGER NOT NULL REFERENCES profiles (id),
    "key" TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (profile_id, "key")
);
"""

# Issue 4 (the pre-session check): holds after a retinoid, peel, Botox or fillers, and the
# answers to the "ask a clinician first" questions (one per question and profile).
_V4_CHECK = """
CREATE TABLE holds (
    profile_id INTEGER NOT NULL REFERENCES profiles (id),
    id TEXT NOT NULL,
    since TEXT NOT NULL,
    "until" TEXT NOT NULL,
    reason TEXT NOT NULL,
    question TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (profile_id, id)
);
CREATE INDEX holds_by_until ON holds (profile_id, "until");

CREATE TABLE clinician_answers (
    profile_id INTEGER NOT NULL REFERENCES profiles (id),
    id TEXT NOT NULL,
    question TEXT NOT NULL,
    yes INTEGER NOT NULL,
    answered_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (profile_id, id),
    UNIQUE (profile_id, question)
);
"""

# A skip is a decision (issue #11): no catch-up unless asked. Skips made before asked for none.
_V5_SKIP_CATCH_UP = """
ALTER TABLE skips ADD COLUMN catch_up INTEGER NOT NULL DEFAULT 0 CHECK (catch_up IN (0, 1));
"""

# Travel (issue #11): a session keeps the zone it was done in. Sessions logged before get the zone
# of the plan version in force when they began (the zone they were shown in then), or, before the
# first plan, the first plan's zone.
_V6_SESSION_ZONES = """
ALTER TABLE sessions ADD COLUMN tz TEXT NOT NULL DEFAULT '';
UPDATE sessions SET tz = COALESCE(
    (SELECT p.tz FROM plans p WHERE p.profile_id = sessions.profile_id
        AND p.created_at <= sessions.start ORDER BY p.created_at DESC LIMIT 1),
    (SELECT p.tz FROM plans p WHERE p.profile_id = sessions.profile_id
        ORDER BY p.created_at LIMIT 1),
    ''
);
"""

# Fixing mistakes (issue #11): the edits and deletions `undo` can take back, newest last.
_V7_UNDO = """
CREATE TABLE undo_steps (
    profile_id INTEGER NOT NULL REFERENCES profiles (id),
    id TEXT NOT NULL,
    action TEXT NOT NULL,
    changes TEXT NOT NULL,             -- JSON: the rows changed, before and after
    created_at TEXT NOT NULL,
    PRIMARY KEY (profile_id, id)
);
CREATE INDEX undo_steps_by_time ON undo_steps (profile_id, created_at);
"""

# Routines (issue #12): a face roller and a body roller, each with its own plan. Every profile
# that has any row gets one routine holding all of it (named "face", or after the first area of
# its plan when it rolls no face zone); plans, sessions, skips and rollers name their routine;
# pauses, holds and visits name the areas they stop ('[]': every routine, as before).
_V8_ROUTINES = """
CREATE TABLE routines (
    profile_id INTEGER NOT NULL REFERENCES profiles (id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (profile_id, id),
    UNIQUE (profile_id, name)
);
ALTER TABLE plans ADD COLUMN routine TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN routine TEXT NOT NULL DEFAULT '';
ALTER TABLE skips ADD COLUMN routine TEXT NOT NULL DEFAULT '';
ALTER TABLE rollers ADD COLUMN routine TEXT NOT NULL DEFAULT '';
ALTER TABLE pauses ADD COLUMN areas TEXT NOT NULL DEFAULT '[]';
ALTER TABLE holds ADD COLUMN areas TEXT NOT NULL DEFAULT '[]';
ALTER TABLE visits ADD COLUMN areas TEXT NOT NULL DEFAULT '[]';
INSERT INTO routines (profile_id, id, name, created_at)
SELECT p.id, lower(hex(randomblob(16))),
    COALESCE(
        (SELECT CASE
            WHEN EXISTS (SELECT 1 FROM json_each(pl.zones) z
                         WHERE z.value IN ('forehead', 'cheeks', 'chin', 'spots'))
                OR json_array_length(pl.zones) = 0 THEN 'face'
            ELSE json_extract(pl.zones, '$[0]') END
         FROM plans pl WHERE pl.profile_id = p.id ORDER BY pl.created_at LIMIT 1),
        'face'),
    COALESCE((SELECT MIN(pl.created_at) FROM plans pl WHERE pl.profile_id = p.id), p.created_at)
FROM profiles p
WHERE EXISTS (SELECT 1 FROM plans x WHERE x.profile_id = p.id)
   OR EXISTS (SELECT 1 FROM sessions x WHERE x.profile_id = p.id)
   OR EXISTS (SELECT 1 FROM skips x WHERE x.profile_id = p.id)
   OR EXISTS (SELECT 1 FROM rollers x WHERE x.profile_id = p.id);
UPDATE plans SET routine = (SELECT r.id FROM routines r WHERE r.profile_id = plans.profile_id);
UPDATE sessions SET routine =
    (SELECT r.id FROM routines r WHERE r.profile_id = sessions.profile_id);
UPDATE skips SET routine = (SELECT r.id FROM routines r WHERE r.profile_id = skips.profile_id);
UPDATE rollers SET routine =
    (SELECT r.id FROM routines r WHERE r.profile_id = rollers.profile_id);
"""

# -- the skin journal (issue 17): progress photos; the images are files beside the database.
_V9_PHOTOS = """
CREATE TABLE photos (
    profile_id INTEGER NOT NULL REFERENCES profiles (id),
    id TEXT NOT NULL,
    taken TEXT NOT NULL,
    angle TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    area TEXT NOT NULL,
    tz TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (profile_id, id)
);
CREATE INDEX photos_by_taken ON photos (profile_id, taken);
"""

MIGRATIONS: list[Migration] = [
    Migration(1, "initial schema", _V1_INITIAL),
    Migration(2, "reminders: channels, delivery ledger, snoozes", _V2_REMINDERS),
    # Version 3 was kept for the calendar (issue #6), which needed no table.
    Migration(4, "pre-session check: holds and clinician answers", _V4_CHECK),
    Migration(5, "skips: whether a catch-up was asked", _V5_SKIP_CATCH_UP),
    Migration(6, "sessions: the time zone each was done in", _V6_SESSION_ZONES),
    Migration(7, "undo journal: edits and deletions undo can take back", _V7_UNDO),
    Migration(8, "routines: each with its own plan, roller and log", _V8_ROUTINES),
    Migration(9, "progress photos", _V9_PHOTOS),
]


def latest_version(migrations: list[Migration] | None = None) -> int:
    chosen = MIGRATIONS if migrations is None else migrations
    return chosen[-1].version if chosen else 0


CREATE_SCHEMA_MIGRATIONS = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
)"""


def statements(script: str) -> Iterator[str]:
    """Split a script into complete statements.

    ``Connection.executescript`` would COMMIT first, which would split a migration across
    transactions; so a script's statements are executed one by one instead.
    """
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    if buffer.strip() and not _only_comments(buffer):
        raise ValueError(f"incomplete SQL statement in a migration: {buffer.strip()[:60]!r}")


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in text.splitlines())


def apply(conn: sqlite3.Connection, migration: Migration, *, applied_at: str) -> None:
    """Run one migration on ``conn``, which must already be inside a write transaction."""
    conn.execute(CREATE_SCHEMA_MIGRATIONS)
    if callable(migration.apply):
        migration.apply(conn)
    else:
        for statement in statements(migration.apply):
            conn.execute(statement)
    conn.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
        (migration.version, migration.name, applied_at),
    )
    # Both pragmas are part of the transaction: the header changes only if the migration commits.
    conn.execute(f"PRAGMA user_version = {int(migration.version)}")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
