"""Restoring a backup keeps the current web secrets (issue 18, item 14): links rotated since the
backup (calendar feed, Done/Snooze), the password hash and the session key stay as they are now
(the web settings page: tests/web/test_restore_secrets.py); ``--with-secrets`` takes the
backup's."""

from __future__ import annotations

import re
from pathlib import Path

from rollminder.env import Env
from rollminder.web import security
from tests.conftest import Runner

NAMES = (security.PASSWORD, security.SESSION_KEY, security.FEED_TOKEN, security.ACTION_TOKEN)


def _secrets(home: Path, profile: str = "default") -> dict[str, str | None]:
    with Env(home=home, profile=profile).open_store() as store:
        return {name: store.secret(name) for name in NAMES}


def _put(home: Path, values: dict[str, str], profile: str = "default") -> None:
    with Env(home=home, profile=profile).open_store() as store:
        for name, value in values.items():
            store.put_secret(name, value)


def _sessions(home: Path) -> int:
    with Env(home=home).open_store() as store:
        return len(store.sessions())


OLD = {name: f"old-{name}-0123456789abcdef" for name in NAMES}
NEW = {name: f"new-{name}-fedcba9876543210" for name in NAMES}


def _backup_then_rotate(planned: Runner, home: Path) -> Path:
    _put(home, OLD)
    _put(home, {security.FEED_TOKEN: "alex-feed-token-0123456789"}, profile="alex")
    made = planned("backup", "now")
    assert made.code == 0, made.err
    backup = Path(re.findall(r"Backed up to (.+)\.", made.out)[0])
    assert planned("done", "--at", "2026-11-23T21:00").code == 0  # data made after the backup
    _put(home, NEW)  # rotated links, a new password, a new session key
    _put(home, {security.FEED_TOKEN: "alex-feed-token-rotated-99"}, profile="alex")
    return backup


def test_cli_restore_keeps_the_current_secrets(planned: Runner, home: Path) -> None:
    backup = _backup_then_rotate(planned, home)
    restored = planned("backup", "restore", str(backup), "--yes")
    assert restored.code == 0, restored.err
    assert "Your web password and links stay as they were" in restored.out
    assert _sessions(home) == 0  # the data is the backup's
    assert _secrets(home) == NEW  # the secrets are today's
    assert _secrets(home, "alex")[security.FEED_TOKEN] == "alex-feed-token-rotated-99"


def test_cli_restore_with_secrets_takes_the_backups(planned: Runner, home: Path) -> None:
    backup = _backup_then_rotate(planned, home)
    restored = planned("backup", "restore", str(backup), "--yes", "--with-secrets")
    assert restored.code == 0, restored.err
    assert _sessions(home) == 0
    assert _secrets(home) == OLD


def test_a_password_removed_since_the_backup_stays_removed(planned: Runner, home: Path) -> None:
    _put(home, OLD)
    made = planned("backup", "now")
    backup = Path(re.findall(r"Backed up to (.+)\.", made.out)[0])
    with Env(home=home).open_store() as store:
        store.delete_secret(security.PASSWORD)
    assert planned("backup", "restore", str(backup), "--yes").code == 0
    assert _secrets(home)[security.PASSWORD] is None


def test_restore_over_a_damaged_database_keeps_only_the_password(
    planned: Runner, home: Path
) -> None:
    """No current secrets can be read: the backup's links and session key are dropped (new ones
    are made on first use), its password hash stays so the web app does not open up."""
    _put(home, OLD)
    made = planned("backup", "now")
    backup = Path(re.findall(r"Backed up to (.+)\.", made.out)[0])
    (home / "rollminder.db").write_bytes(b"not a database at all" * 100)
    assert planned("backup", "restore", str(backup), "--yes").code == 0
    assert _secrets(home) == {
        security.PASSWORD: OLD[security.PASSWORD],
        security.SESSION_KEY: None,
        security.FEED_TOKEN: None,
        security.ACTION_TOKEN: None,
    }
