"""Holds and clinician answers: migration 4, export and import (the store behaviour itself is in
the store contract, tests/store_contract.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from rollminder.errors import ImportFailed
from rollminder.model import ClinicianAnswer, Hold, Session, Settings
from rollminder.store import migrations
from rollminder.store.memory import MemoryStore
from rollminder.store.sqlite import SqliteStore
from rollminder.transfer import export_json, import_json
from tests.old_rows import put_v1_session

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def t(day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, tzinfo=UTC)


def hold(n: int, since: dt.datetime, hours: int = 48) -> Hold:
    return Hold(
        since=since,
        until=since + dt.timedelta(hours=hours),
        reason="retinoid in the last 48 hours",
        question="retinoid",
        id=f"{n:032x}",
        created_at=NOW,
    )


def answer(n: int, question: str, yes: bool) -> ClinicianAnswer:
    return ClinicianAnswer(
        question=question, yes=yes, answered_at=NOW, id=f"{0xA0 + n:032x}", created_at=NOW
    )


def test_a_schema_1_database_is_migrated_to_4_keeping_its_rows(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    first = [m for m in migrations.MIGRATIONS if m.version == 1]
    session = Session(start=t(20, 20), minutes=3, zones=("chin",), id="a" * 32, created_at=NOW)
    with SqliteStore.open(db, profile="default", now=NOW, migration_list=first) as old:
        put_v1_session(old, session)
        old.put_settings(Settings(roller_max_uses=7))
    with SqliteStore.open(db, profile="default", now=NOW) as store:
        (routine,) = store.routines()  # migration 8: the rows move into one routine
        assert store.sessions() == [dataclasses.replace(session, routine=routine.id)]
        assert store.settings() == Settings(roller_max_uses=7, session_check=1)
        assert store.holds() == [] and store.clinician_answers() == []
        store.put_hold(hold(1, t(20)))
        conn = store.connection
        versions = [v for (v,) in conn.execute("SELECT version FROM schema_migrations")]
        latest = migrations.MIGRATIONS[-1].version
        assert 4 in versions and conn.execute("PRAGMA user_version").fetchone() == (latest,)
    raw = sqlite3.connect(db)
    try:
        tables = {n for (n,) in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"holds", "clinician_answers"} <= tables
    finally:
        raw.close()


def test_export_import_round_trip_with_holds_and_answers() -> None:
    store = MemoryStore()
    store.put_hold(hold(1, t(20)))
    store.put_clinician_answer(answer(1, "pregnancy", True))
    store.put_settings(Settings(session_check=0))
    text = export_json(store)
    doc = json.loads(text)
    assert doc["holds"][0]["until"] == "2026-11-22T00:00:00+00:00"
    assert doc["clinician"] == [
        {
            "answered_at": "2026-11-25T09:00:00+00:00",
            "created_at": "2026-11-25T09:00:00+00:00",
            "id": f"{0xA1:032x}",
            "question": "pregnancy",
            "yes": True,
        }
    ]
    assert doc["settings"]["session_check"] == 0
    fresh = MemoryStore()
    report = import_json(fresh, text, source="x.json")
    assert report.count("holds").added == 1 and report.count("clinician").added == 1
    assert export_json(fresh) == text
    assert not import_json(fresh, text, source="x.json").changed


def test_an_export_from_before_the_check_still_imports() -> None:
    doc = json.loads(export_json(MemoryStore()))
    del doc["holds"], doc["clinician"], doc["settings"]["session_check"]
    fresh = MemoryStore()
    fresh.put_settings(Settings(session_check=0))
    import_json(fresh, json.dumps(doc), source="old.json")
    assert fresh.settings().session_check == 1  # the file's (default) settings win, as before
    assert fresh.holds() == []


def test_an_imported_answer_replaces_ours_for_the_same_question() -> None:
    ours = MemoryStore()
    ours.put_clinician_answer(answer(1, "keloid", False))
    theirs = MemoryStore()
    theirs.put_clinician_answer(answer(9, "keloid", True))
    import_json(ours, export_json(theirs), source="t.json")
    [kept] = ours.clinician_answers()
    assert kept.yes is True and kept.id == answer(1, "keloid", False).id


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d["holds"][0].update(until="2026-11-19T00:00:00+00:00"), "holds[0].until"),
        (lambda d: d["clinician"][0].update(yes="yes"), "clinician[0].yes is not true or false"),
        (lambda d: d["clinician"][0].update(question="skin"), "clinician[0].question"),
        (lambda d: d["clinician"].append(dict(d["clinician"][0], id="f" * 32)), "answered twice"),
        (lambda d: d["settings"].update(session_check=2), "settings.session_check"),
    ],
)
def test_bad_check_rows_are_refused(change: object, problem: str) -> None:
    source = MemoryStore()
    source.put_hold(hold(1, t(20)))
    source.put_clinician_answer(answer(1, "keloid", True))
    doc = json.loads(export_json(source))
    change(doc)  # type: ignore[operator]
    target = MemoryStore()
    with pytest.raises(ImportFailed, match=problem.replace("[", r"\[").replace("]", r"\]")):
        import_json(target, json.dumps(doc), source="bad.json")
    assert target.holds() == [] and target.clinician_answers() == []
