"""Sign-in sessions as records in the profile's secrets (issue 18 item 1).

The secret ``SESSIONS`` holds each session's random id and when it ends (JSON), so every server
process on the same data sees the same sessions. Signing in adds a record and puts its id in the
signed cookie; signing out deletes that record; a new password (``password set``, ``password
clear``, :func:`set_password`) deletes them all. A cookie whose record is gone is worth nothing,
even though its signature is still good.
"""

from __future__ import annotations

import json
from typing import Protocol

from rollminder.web.security import (
    MAX_SESSIONS,
    PASSWORD,
    SESSION_SECONDS,
    SESSIONS,
    check_new_password,
    hash_password,
    new_token,
)


class SecretHolder(Protocol):
    """What the session records need of the facade."""

    def secret(self, name: str) -> str | None: ...
    def put_secret(self, name: str, value: str) -> None: ...
    def delete_secret(self, name: str) -> bool: ...


def _sessions(app: SecretHolder, now: float) -> dict[str, float]:
    try:
        found = json.loads(app.secret(SESSIONS) or "{}")
    except ValueError:
        return {}
    if not isinstance(found, dict):
        return {}
    return {
        str(k): float(v)
        for k, v in found.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and v > now
    }


def start_session(app: SecretHolder, now: float) -> str:
    """A new sign-in's id, recorded until ``now`` + :data:`SESSION_SECONDS`."""
    sid = new_token()
    known = _sessions(app, now)
    known[sid] = now + SESSION_SECONDS
    newest = sorted(known.items(), key=lambda item: item[1])[-MAX_SESSIONS:]
    app.put_secret(SESSIONS, json.dumps(dict(newest)))
    return sid


def session_alive(app: SecretHolder, sid: object, now: float) -> bool:
    return isinstance(sid, str) and bool(sid) and sid in _sessions(app, now)


def end_session(app: SecretHolder, sid: object, now: float) -> None:
    known = _sessions(app, now)
    if isinstance(sid, str) and known.pop(sid, None) is not None:
        app.put_secret(SESSIONS, json.dumps(known))


def end_all_sessions(app: SecretHolder) -> None:
    """Every sign-in ends (a new password, or none)."""
    app.delete_secret(SESSIONS)


def set_password(app: SecretHolder, password: str) -> None:
    """Store ``password``'s hash; every earlier sign-in ends."""
    hashed = hash_password(check_new_password(password))
    end_all_sessions(app)
    app.put_secret(PASSWORD, hashed)


def clear_password(app: SecretHolder) -> bool:
    """Remove the password (True if there was one); every sign-in ends."""
    end_all_sessions(app)
    return app.delete_secret(PASSWORD)
