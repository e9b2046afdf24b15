"""Issue 18 (what an attacker and a hostile disk found), items 7, 11, 12 and 15: junk never
becomes an internal error, import is no more lenient than the app, stored text never acts on
the terminal, and channel secrets are never shown."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from rollminder import limits, transfer
from rollminder.cli import fmt
from rollminder.env import Env
from rollminder.errors import ImportFailed
from rollminder.model import Pause, Roller, Session, Visit
from rollminder.remind.channels import info, mask_url, remask
from rollminder.remind.records import ChannelConfig, ChannelStatus
from rollminder.web.app import create_app
from tests.conftest import NOW, Runner
from tests.web.common import BASE, planned_env

UTC = dt.UTC
#: What no line shown on a terminal may carry: C0 but tab and newline, DEL, C1, bidi, surrogates.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def profiles(home: Path) -> list[str]:
    conn = sqlite3.connect(home / "rollminder.db")
    try:
        return [row[0] for row in conn.execute("SELECT name FROM profiles ORDER BY id")]
    finally:
        conn.close()


def one_line(result: object) -> str:
    err = result.err  # type: ignore[attr-defined]
    assert "unexpected problem" not in err and "Traceback" not in err, err
    assert result.code in (1, 2), result  # type: ignore[attr-defined]
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), err
    return str(lines[0])


# ------------------------------------------------------------------ 11. junk, internal errors


@pytest.mark.parametrize(
    "argv",
    [
        ("plan", "set", "--per-week", "99999999999999999999"),
        ("plan", "set", "--per-week", "1" * 400),
        ("plan", "set", "--time", "99999999999999999999"),
        ("plan", "set", "--passes", "1" * 400),
        ("plan", "set", "--rest", "9" * 5000),
        ("plan", "set", "--blackout-before", "1" * 400),
        ("next", "--count", "99999999999999999999"),
        ("done", "--minutes", "99999999999999999999"),
        ("roller", "add", "--needle", "99999999999999999999"),
        ("roller", "add", "--uses", "1" * 400),
        ("visit", "series", "new", "--count", "1" * 400),
        ("calendar", "export", "--weeks", "1" * 400),
        ("serve", "--port", "1" * 400),
        ("done", "--note", "\udcff"),
        ("done", "--note", "a\x9b31mb"),
        ("export", "--output", "a\x00b"),
        ("import", "a\x00b"),
        ("--home", "a\x00b", "next"),
    ],
)
def test_junk_is_one_line_never_an_unexpected_problem(
    planned: Runner, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: tuple
) -> None:
    monkeypatch.chdir(tmp_path)
    before = planned("export").out
    one_line(planned(*argv))
    assert planned("export").out == before
    assert not (home / "error.log").exists()


def test_an_unknown_profile_leaves_no_empty_profile_behind(planned: Runner, home: Path) -> None:
    assert planned("--profile", "nobody", "next").code == 1  # no plan: refused
    assert planned("--profile", "nobody", "settings").code == 0  # a read of the defaults
    one_line(planned("--profile", "nobody", "done", "--minutes", "999"))
    one_line(planned("--profile", "nobody", "setup", "--needle", "9", "--yes"))
    assert profiles(home) == ["default"]
    # The first write makes it.
    assert planned("--profile", "nobody", "settings", "--prep-minutes", "10").code == 0
    assert profiles(home) == ["default", "nobody"]


def test_cli_options_take_their_limits_from_the_limits_module() -> None:
    from rollminder.cli import cli
    from tests.test_cli_fuzz import _walk

    kinds = set()
    for _, command in _walk(cli):
        for param in command.params:
            assert not isinstance(param.type, click_number_types()), (command.name, param.name)
            if isinstance(param.type, fmt.Limited):
                assert isinstance(param.type.limit, limits.Whole | limits.Number)
                kinds.add(param.name)
    assert {"sessions", "minutes", "passes", "needle", "uses", "count", "weeks"} <= kinds


def click_number_types() -> tuple[type, ...]:
    import click

    return (click.types.IntParamType, click.types.FloatParamType)


# ------------------------------------------------------------ 12. import, as strict as the app


def exported(planned: Runner) -> dict:
    return json.loads(planned("export").out)


def a_session_row(start: str, minutes: float = 3.0, note: str = "") -> dict:
    return {
        "start": start,
        "minutes": minutes,
        "zones": ["cheeks"],
        "reaction": None,
        "note": note,
        "roller_id": None,
        "id": "a" * 32,
        "created_at": "2026-11-20T20:00:00+00:00",
    }


def test_import_refuses_what_done_refuses_and_next_is_unchanged(
    planned: Runner, tmp_path: Path
) -> None:
    shown_next = planned("next").out
    before = planned("export").out
    cases = {
        "future.json": (a_session_row("2199-01-01T20:00:00+00:00"), "in the future"),
        "tomorrow.json": (a_session_row("2026-11-26T09:10:00+00:00"), "in the future"),
        "long.json": (a_session_row("2026-11-20T20:00:00+00:00", 1440), "at most 120"),
        "old.json": (a_session_row("1999-12-31T20:00:00+00:00"), "too far in the past"),
        "nel.json": (a_session_row("2026-11-20T20:00:00+00:00", note="ok\x85"), "control"),
    }
    for name, (row, words) in cases.items():
        doc = exported(planned)
        doc["sessions"] = [row]
        path = tmp_path / name
        path.write_text(json.dumps(doc))
        line = one_line(planned("import", str(path)))
        assert words in line and "Nothing was changed." in line, line
    assert planned("export").out == before
    assert planned("next").out == shown_next
    # A minute ahead of the clock is what done allows (a clock a little off): accepted.
    doc = exported(planned)
    doc["sessions"] = [a_session_row("2026-11-25T09:00:30+00:00")]
    (tmp_path / "ok.json").write_text(json.dumps(doc))
    assert planned("import", str(tmp_path / "ok.json")).code == 0


def test_import_applies_the_skip_pause_and_name_limits(planned: Runner) -> None:
    store_now = dt.datetime(2026, 11, 25, 9, tzinfo=UTC)
    doc = exported(planned)
    base = {"id": "b" * 32, "created_at": "2026-11-20T20:00:00+00:00"}
    bad = {
        "skips": {**base, "slot": "2028-01-01T20:00:00+00:00", "reason": "", "catch_up": False},
        "pauses": {**base, "first": "2026-01-01", "last": "2029-01-01", "reason": ""},
    }
    from rollminder.store.memory import MemoryStore

    for kind, row in bad.items():
        wrong = {**doc, kind: [row]}
        with pytest.raises(ImportFailed):
            transfer.import_json(MemoryStore(), json.dumps(wrong), source="x", now=store_now)
    skip = {**base, "slot": "2026-11-20T20:00:00+00:00", "reason": "r" * 481, "catch_up": False}
    with pytest.raises(ImportFailed, match="at most 480"):
        transfer.import_json(MemoryStore(), json.dumps({**doc, "skips": [skip]}), source="x")
    roller = {
        **base,
        "label": "two\nlines",
        "needle_mm": 0.25,
        "added": "2026-11-01",
        "first_use": None,
        "initial_uses": 0,
        "retired": None,
    }
    with pytest.raises(ImportFailed, match="control characters"):
        transfer.import_json(MemoryStore(), json.dumps({**doc, "rollers": [roller]}), source="x")


def run_cli(home: Path, *args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ROLLMINDER_HOME": str(home), "ROLLMINDER_NOW": NOW}
    return subprocess.run(
        [sys.executable, "-m", "rollminder", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_import_from_a_fifo_returns_at_once(planned: Runner, home: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "export.json"
    os.mkfifo(fifo)
    result = run_cli(home, "import", str(fifo))  # before: blocked forever on open()
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result
    assert "not a regular file" in result.stderr


def test_import_reads_at_most_20_mb(planned: Runner, tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as fh:
        fh.truncate(transfer.MAX_IMPORT_BYTES + 1)  # sparse: no disk used
    line = one_line(planned("import", str(big)))
    assert "larger than 20 MB" in line
    assert "not a regular file" in one_line(planned("import", "/dev/zero"))


def test_read_export_checks_the_file_it_opened(tmp_path: Path) -> None:
    good = tmp_path / "ok.json"
    good.write_text("{}")
    assert transfer.read_export(good) == "{}"
    with pytest.raises(ImportFailed, match="larger than"):
        transfer.read_export(good, most=1)
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe")
    with pytest.raises(ImportFailed, match="not text"):
        transfer.read_export(tmp_path / "bin.json")


def test_the_web_import_refuses_bad_files_in_one_line(tmp_path: Path) -> None:
    from tests.web.test_app_security import token

    env = planned_env(tmp_path)
    with TestClient(create_app(env, start_reminders=False), base_url=BASE) as c:
        before = c.get("/settings/export.json").text
        doc = json.loads(before)
        csrf = token(c)
        future = {**doc, "sessions": [a_session_row("2199-01-01T20:00:00+00:00")]}
        bodies = {
            "future.json": json.dumps(future).encode(),
            "surrogate.json": before.replace(
                '"profile": "default"', '"profile": "\\udcff"'
            ).encode(),
            "key.json": before.replace('"settings": {', '"\\ud800": 1, "settings": {').encode(),
            "evil\u202egnp.json": b"{",
        }
        for name, body in bodies.items():
            response = c.post(
                "/settings/import",
                files={"file": (name, body, "application/json")},
                data={"csrf_token": csrf},
            )
            assert response.status_code == 400, (name, response.status_code)
            message = re.search(r'<p class="msg error" role="alert">([^<]*)</p>', response.text)
            assert message and "Nothing was changed." in message.group(1), name
            assert UNSAFE.search(message.group(1)) is None, name
        assert c.get("/settings/export.json").text == before


# ------------------------------------------------------------------ 15. terminal controls


HOSTILE = "a\x9b2Jb\x9d0;pwn\x07c\u202eevil\x1b[31md"


def test_stored_controls_are_neutralised_wherever_the_cli_prints_them(
    planned: Runner, home: Path
) -> None:
    """A hostile disk (or an import from an older rollminder): the store holds what the input
    checks refuse; every listing shows it harmless."""
    now = dt.datetime(2026, 11, 24, 20, tzinfo=UTC)
    store = Env(home=home).open_store()
    try:
        store.put_session(
            Session(now, 3.0, ("cheeks",), note=HOSTILE, created_at=now)  # type: ignore[arg-type]
        )
        store.put_pause(Pause(dt.date(2026, 12, 1), dt.date(2026, 12, 3), HOSTILE, created_at=now))
        store.put_roller(Roller(HOSTILE, 0.25, dt.date(2026, 11, 1), created_at=now))
        store.put_visit(Visit(now + dt.timedelta(days=30), HOSTILE, HOSTILE, created_at=now))
    finally:
        store.close()
    for argv in (
        ("history",),
        ("history", "--json"),
        ("pauses",),
        ("pauses", "--json"),
        ("roller", "list"),
        ("roller", "list", "--json"),
        ("visit", "list"),
        ("visit", "list", "--json"),
        ("status",),
        ("next",),
    ):
        result = planned(*argv)
        assert result.code == 0, (argv, result.err)
        assert UNSAFE.search(result.out + result.err) is None, (argv, result.out)
    # JSON stays lossless: the escapes read back as the stored text.
    assert planned("history", "--json").json()[0]["note"] == HOSTILE
    assert planned("pauses", "--json").json()[0]["reason"] == HOSTILE


def test_errors_quoting_input_are_neutralised(planned: Runner) -> None:
    for argv in (
        ("import", "no\x1b]0;title\x07file.json"),
        ("done", "--zones", "x\x9b2J"),
        ("history", "--since", "\u202eevil"),
    ):
        line = one_line(planned(*argv))
        assert UNSAFE.search(line) is None, line


def test_safe_and_shown() -> None:
    assert fmt.safe("a\x9bb\u202ec\udcff\x1bd\ne\tf") == "a\ufffdb\ufffdc\ufffd\ufffdd\ne\tf"
    assert limits.shown("plain é 😀") == "plain é 😀"
    assert limits.has_bad_chars("ok\x85") and not limits.has_bad_chars("ok\n\t")
    assert not limits.has_bad_chars("a\nb\tc") and limits.has_bad_chars("a\nb", lines=False)


# ------------------------------------------------------------------ 7. channel secrets


@pytest.mark.parametrize(
    ("url", "secrets", "kept"),
    [
        (
            "json://hooks.example.com/services/T0A1B2C3/abcdef0123456789XYZ",
            ["T0A1B2C3", "abcdef0123456789XYZ"],
            "json://hooks.example.com/",
        ),
        (
            "jsons://alice:pw1234@hooks.example.com/hook?token=q1w2e3r4t5",
            ["alice", "pw1234", "q1w2e3r4t5"],
            "hooks.example.com",
        ),
        (
            "form://example.com/api/a1b2c3d4e5f6g7h8i9j0",
            ["a1b2c3d4e5f6g7h8i9j0"],
            "form://example.com/",
        ),
        ("ntfy://mytopicsecret123", ["mytopicsecret123"], "ntfy"),
        (
            "ntfys://bob:s3cret@ntfy.example.com/private-topic-1234",
            ["bob", "s3cret", "private-topic-1234"],
            "ntfy.example.com",
        ),
        (
            "gotify://gotify.example.com/AbCdEf1234567890",
            ["AbCdEf1234567890"],
            "gotify.example.com",
        ),
        (
            "mailtos://carol:pw@smtp.example.com?to=x@example.com",
            ["carol", "pw@", "x@example.com"],
            "smtp.example.com",
        ),
        (
            "discord://123456789012345678/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
            ["AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"],
            "discord://",
        ),
        (
            "weird://me:hunter22@host.example.com/plain/z9y8x7w6v5u4t3s2r1?k=v4l",
            ["hunter22", "z9y8x7w6v5u4t3s2r1", "v4l"],
            "host.example.com",
        ),
    ],
)
def test_mask_url_hides_every_part_that_can_carry_a_secret(
    url: str, secrets: list[str], kept: str
) -> None:
    for shown in (mask_url(url), remask(url)):
        for secret in secrets:
            assert secret not in shown, (url, shown)
        assert kept in shown


def test_a_channel_stored_with_an_older_mask_is_listed_with_todays(
    planned: Runner, home: Path
) -> None:
    url = "json://hooks.example.com/hook/s3cr3tT0k3nInThePath99"
    assert planned("channel", "add", url, "--name", "hook").code == 0
    # As an older rollminder stored it: the path token in the masked copy.
    conn = sqlite3.connect(home / "rollminder.db")
    with conn:
        conn.execute("UPDATE channels SET masked = ?", (url,))
    conn.close()
    texts = [planned("channel", "list").out, planned("channel", "list", "--json").out]
    for text in texts:
        assert "s3cr3tT0k3nInThePath99" not in text and "hooks.example.com" in text
    config = ChannelConfig(name="x", url=url, masked=url, kind="json", created_at=NOW_UTC)
    assert "s3cr3tT0k3n" not in info(config, ChannelStatus(config.id)).url


NOW_UTC = dt.datetime(2026, 11, 25, 9, tzinfo=UTC)


def test_channel_add_and_the_web_never_show_the_token(tmp_path: Path) -> None:
    from tests.web.test_app_security import token

    env = planned_env(tmp_path)
    url = "json://hooks.example.com/hook/s3cr3tT0k3nInThePath99"
    with TestClient(create_app(env, start_reminders=False), base_url=BASE) as c:
        added = c.post(
            "/settings/channels/add",
            data={"csrf_token": token(c, "/settings"), "url": url, "name": "hook"},
        )
        assert added.status_code == 200
        page = c.get("/settings").text
        assert "hooks.example.com" in page
        assert "s3cr3tT0k3n" not in added.text + page


# ------------------------------------------------------------------ the data directory


def test_the_data_directory_is_created_owner_only(rm: Runner, home: Path, tmp_path: Path) -> None:
    assert rm("next").code == 1  # no plan; the store was opened
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    web_home = tmp_path / "web"
    with TestClient(create_app(Env(home=web_home), start_reminders=False), base_url=BASE) as c:
        c.get("/")
    assert stat.S_IMODE(web_home.stat().st_mode) == 0o700
