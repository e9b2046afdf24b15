"""Accounts in hosted mode (issue #15): sign-up, passwords (argon2id), sign-in records, one-use
tokens for e-mail verification and password reset, passkeys' rows, rate limits kept in the
database, profiles per account, and deleting an account with every row of every profile.

The rows live in PostgreSQL (migration 5 of :mod:`rollminder.store.postgres_schema`). Every
transaction here sets ``rollminder.account`` (and, to reach a profile's rows,
``rollminder.profile``), so row-level security is the second wall: connected as the app's role, a
query here can only see its own account's rows. What must work before anyone is signed in goes
through the schema's SECURITY DEFINER functions, each answering for one e-mail, credential or
token. Tokens and sign-in ids are random; only their SHA-256 is stored.

The PostgreSQL driver is imported only when an :class:`Accounts` is made (hosted mode).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rollminder.env import valid_profile
from rollminder.errors import InvalidInput, NotFound, StorageError
from rollminder.store import postgres_schema as schema

if TYPE_CHECKING:
    import psycopg

#: How long a sign-in lasts, and the one-use tokens.
SIGNIN_DAYS = 14
VERIFY_HOURS = 48
RESET_HOURS = 1
MIN_PASSWORD, MAX_PASSWORD = 10, 1024
MAX_PROFILES = 12
#: Rate limits: (attempts, per seconds) for each path, by address and by e-mail.
LIMITS: dict[str, tuple[int, int]] = {
    "signin-ip": (20, 900),
    "signin-email": (8, 900),
    "signup-ip": (10, 3600),
    "reset-ip": (10, 3600),
    "reset-email": (3, 3600),
    "passkey-ip": (30, 900),
}

_EMAIL = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,63}$")


class TooMany(InvalidInput):
    """A rate limit: ``wait`` seconds before the next try."""

    def __init__(self, message: str, wait: float) -> None:
        super().__init__(message)
        self.wait = wait


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def check_email(text: str) -> str:
    email = text.strip()
    if not _EMAIL.match(email) or ".." in email:
        raise InvalidInput("Enter your e-mail address, such as name@example.org.")
    return email


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"Choose a password of at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"A password has at most {MAX_PASSWORD} characters.")
    return password


def _hasher() -> Any:
    from argon2 import PasswordHasher

    # argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): about 50 ms here,
    # where argon2-cffi's default (64 MiB, 3 passes, 4 lanes) took 0.8 s on a busy 2-core host,
    # too slow a door to knock on. A hash made with other parameters still verifies.
    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    return str(_hasher().hash(check_password(password)))


def password_matches(stored: str | None, given: str) -> bool:
    """Whether ``given`` is the password hashed in ``stored``; without a hash the same work is
    done, so the time taken does not tell whether the account exists."""
    from argon2.exceptions import InvalidHashError, VerificationError

    hasher = _hasher()
    try:
        return bool(hasher.verify(stored or _dummy_hash(), given[:MAX_PASSWORD])) and bool(stored)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    """A hash of nothing anyone types, to spend the same time when there is no account."""
    if not _DUMMY:
        _DUMMY.append(str(_hasher().hash(secrets.token_urlsafe(16))))
    return _DUMMY[0]


@dataclass(frozen=True)
class Passkey:
    id: bytes
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    verified_at: dt.datetime | None
    has_password: bool
    created_at: dt.datetime
    passkeys: tuple[Passkey, ...]


class Accounts:
    """The accounts of one PostgreSQL database (a process shares the store's pool)."""

    def __init__(self, url: str, clock: Callable[[], dt.datetime]) -> None:
        from rollminder.store.postgres_base import pool_for

        self.url = url
        self.clock = clock
        self._pool = pool_for(url)

    # -- transactions ----------------------------------------------------------------------------

    @contextmanager
    def _tx(
        self, account: int | None = None, profile: str = ""
    ) -> Iterator[psycopg.Connection[Any]]:
        import psycopg
        from psycopg_pool import PoolTimeout

        from rollminder.store.postgres_base import SET_KEYS, storage_error

        try:
            with self._pool.connection() as conn, conn.transaction():
                key = "" if account is None else str(int(account))
                conn.execute(SET_KEYS, (profile, key))
                yield conn
        except (psycopg.Error, PoolTimeout) as exc:
            raise storage_error(exc, self.url) from exc

    # -- rate limits (shared by every serve process) -----------------------------------------------

    def hit(self, kind: str, what: str) -> None:
        """Count one attempt of ``kind`` by ``what`` (an address, an e-mail); raise
        :class:`TooMany` past the limit. A fixed window per key, kept in the database."""
        most, seconds = LIMITS[kind]
        key = hashlib.sha256(f"{kind}\0{what.lower()}".encode()).hexdigest()
        now = self.clock()
        start = now - dt.timedelta(seconds=seconds)
        with self._tx() as conn:
            row = conn.execute(
                """INSERT INTO rate_limits AS r ("key", window_start, hits) VALUES (%s, %s, 1)
                ON CONFLICT ("key") DO UPDATE SET
                    hits = CASE WHEN r.window_start <= %s THEN 1 ELSE r.hits + 1 END,
                    window_start = CASE WHEN r.window_start <= %s THEN %s ELSE r.window_start END
                RETURNING hits, window_start""",
                (key, now, start, start, now),
            ).fetchone()
        assert row is not None
        hits, began = int(row[0]), row[1]
        if hits > most:
            wait = max(1.0, (began + dt.timedelta(seconds=seconds) - now).total_seconds())
            minutes = max(1, round(wait / 60))
            raise TooMany(f"Too many tries: try again in {minutes} min.", wait)

    # -- sign-up and sign-in -----------------------------------------------------------------------

    def sign_up(
        self,
        email: str,
        password: str | None,
        passkey: tuple[bytes, bytes, int, str] | None = None,
    ) -> int | None:
        """A new account (its first profile 'default'), with a password or a passkey (its id,
        public key, signature count and name), all in one transaction; None when the e-mail
        has an account already."""
        email = check_email(email)
        if password is None and passkey is None:
            raise InvalidInput("Choose a password, or sign up with a passkey.")
        hashed = hash_password(password) if password is not None else None
        now = self.clock()
        with self._tx() as conn:
            row = conn.execute(
                "SELECT rollminder_new_account(%s, %s, %s)", (email, hashed, now)
            ).fetchone()
            if row is None or row[0] is None:
                return None
            account = int(row[0])
            conn.execute(SET_ACCOUNT, (str(account),))
            conn.execute(
                "INSERT INTO profiles (name, account_id, created_at) VALUES ('default', %s, %s)",
                (account, now),
            )
            if passkey is not None:
                cred_id, public_key, count, name = passkey
                conn.execute(
                    "INSERT INTO credentials (id, account_id, public_key, sign_count, name, "
                    "created_at) VALUES (%s, %s, %s, %s, %s, %s)",
                    (cred_id, account, public_key, count, name[:60] or "Passkey", now),
                )
        return account

    def find(self, email: str) -> tuple[int, str | None] | None:
        """The account of ``email`` (any case) and its password hash, or None."""
        with self._tx() as conn:
            row = conn.execute(
                "SELECT id, password_hash FROM rollminder_account_by_email(%s)", (email.strip(),)
            ).fetchone()
        return None if row is None else (int(row[0]), row[1])

    def check_password(self, email: str, password: str) -> int | None:
        """The account whose e-mail and password these are, or None (same work either way)."""
        found = self.find(email) if _EMAIL.match(email.strip()) else None
        ok = password_matches(found[1] if found else None, password)
        return found[0] if found and ok else None

    def set_password(self, account: int, password: str) -> None:
        """A new password; every sign-in of the account ends."""
        hashed = hash_password(password)
        with self._tx(account) as conn:
            conn.execute("UPDATE accounts SET password_hash = %s WHERE id = %s", (hashed, account))
            conn.execute("DELETE FROM signins WHERE account_id = %s", (account,))

    def account(self, account: int) -> Account:
        with self._tx(account) as conn:
            row = conn.execute(
                "SELECT id, email, verified_at, password_hash IS NOT NULL, created_at "
                "FROM accounts WHERE id = %s",
                (account,),
            ).fetchone()
            if row is None:
                raise NotFound("There is no such account.")
            keys = conn.execute(
                "SELECT id, name, created_at, last_used_at FROM credentials "
                "WHERE account_id = %s ORDER BY created_at",
                (account,),
            ).fetchall()
        return Account(
            int(row[0]), row[1], row[2], bool(row[3]), row[4],
            tuple(Passkey(bytes(k[0]), k[1], k[2], k[3]) for k in keys),
        )  # fmt: skip

    # -- sign-in records ---------------------------------------------------------------------------

    def start_signin(self, account: int) -> str:
        sid = secrets.token_urlsafe(32)
        now = self.clock()
        with self._tx(account) as conn:
            conn.execute(
                "DELETE FROM signins WHERE account_id = %s AND expires_at <= %s", (account, now)
            )
            conn.execute(
                "INSERT INTO signins (digest, account_id, expires_at, created_at) "
                "VALUES (%s, %s, %s, %s)",
                (digest(sid), account, now + dt.timedelta(days=SIGNIN_DAYS), now),
            )
        return sid

    def signin_alive(self, account: int, sid: str) -> bool:
        """Whether the sign-in is live: asked on every request, so in one round trip (BEGIN,
        the keys, the read and COMMIT pipelined)."""
        import psycopg
        from psycopg_pool import PoolTimeout

        from rollminder.store.postgres_base import SET_KEYS, storage_error

        try:
            with self._pool.connection() as conn:
                with conn.pipeline():
                    conn.execute("BEGIN")
                    conn.execute(SET_KEYS, ("", str(int(account))))
                    found = conn.execute(
                        "SELECT 1 FROM signins WHERE digest = %s AND account_id = %s "
                        "AND expires_at > %s",
                        (digest(sid), account, self.clock()),
                    )
                    conn.execute("COMMIT")
                row = found.fetchone()
        except (psycopg.Error, PoolTimeout) as exc:
            raise storage_error(exc, self.url) from exc
        return row is not None

    def end_signin(self, account: int, sid: str) -> None:
        with self._tx(account) as conn:
            conn.execute("DELETE FROM signins WHERE digest = %s", (digest(sid),))

    # -- one-use tokens ----------------------------------------------------------------------------

    def new_token(self, account: int, purpose: str) -> str:
        hours = VERIFY_HOURS if purpose == "verify" else RESET_HOURS
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self._tx(account) as conn:
            conn.execute(
                "DELETE FROM account_tokens WHERE account_id = %s AND (expires_at <= %s "
                "OR used_at IS NOT NULL)",
                (account, now),
            )
            conn.execute(
                "INSERT INTO account_tokens (digest, account_id, purpose, expires_at, created_at)"
                " VALUES (%s, %s, %s, %s, %s)",
                (digest(token), account, purpose, now + dt.timedelta(hours=hours), now),
            )
        return token

    def use_token(self, token: str, purpose: str) -> int | None:
        """Spend ``token``: its account, once, before it expires; else None."""
        if not 20 <= len(token) <= 100:
            return None
        with self._tx() as conn:
            row = conn.execute(
                "SELECT rollminder_use_token(%s, %s, %s)", (digest(token), purpose, self.clock())
            ).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def token_live(self, token: str, purpose: str) -> bool:
        """Whether ``token`` can still be spent (without spending it)."""
        if not 20 <= len(token) <= 100:
            return False
        with self._tx() as conn:
            row = conn.execute(
                "SELECT rollminder_token_live(%s, %s, %s)", (digest(token), purpose, self.clock())
            ).fetchone()
        return bool(row and row[0])

    def verify(self, token: str) -> int | None:
        account = self.use_token(token, "verify")
        if account is not None:
            with self._tx(account) as conn:
                conn.execute(
                    "UPDATE accounts SET verified_at = COALESCE(verified_at, %s) WHERE id = %s",
                    (self.clock(), account),
                )
        return account

    def reset(self, token: str, password: str) -> int | None:
        """A new password through a reset token (which also proves the e-mail)."""
        check_password(password)
        account = self.use_token(token, "reset")
        if account is not None:
            self.set_password(account, password)
            with self._tx(account) as conn:
                conn.execute(
                    "UPDATE accounts SET verified_at = COALESCE(verified_at, %s) WHERE id = %s",
                    (self.clock(), account),
                )
        return account

    # -- passkeys ----------------------------------------------------------------------------------

    def add_passkey(
        self, account: int, cred_id: bytes, public_key: bytes, sign_count: int, name: str
    ) -> None:
        with self._tx(account) as conn:
            conn.execute(
                "INSERT INTO credentials (id, account_id, public_key, sign_count, name, "
                "created_at) VALUES (%s, %s, %s, %s, %s, %s)",
                (cred_id, account, public_key, sign_count, name[:60] or "Passkey", self.clock()),
            )

    def account_of_passkey(self, cred_id: bytes) -> int | None:
        with self._tx() as conn:
            row = conn.execute("SELECT rollminder_account_by_credential(%s)", (cred_id,)).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def passkey(self, account: int, cred_id: bytes) -> tuple[bytes, int] | None:
        with self._tx(account) as conn:
            row = conn.execute(
                "SELECT public_key, sign_count FROM credentials WHERE id = %s", (cred_id,)
            ).fetchone()
        return None if row is None else (bytes(row[0]), int(row[1]))

    def passkey_used(self, account: int, cred_id: bytes, sign_count: int) -> None:
        with self._tx(account) as conn:
            conn.execute(
                "UPDATE credentials SET sign_count = %s, last_used_at = %s WHERE id = %s",
                (sign_count, self.clock(), cred_id),
            )

    def remove_passkey(self, account: int, cred_id: bytes) -> bool:
        with self._tx(account) as conn:
            row = conn.execute(
                "SELECT password_hash IS NOT NULL, (SELECT count(*) FROM credentials) "
                "FROM accounts WHERE id = %s",
                (account,),
            ).fetchone()
            if row is not None and not row[0] and int(row[1]) <= 1:
                raise InvalidInput(
                    "This is your only way to sign in: set a password or add another passkey first."
                )
            return conn.execute("DELETE FROM credentials WHERE id = %s", (cred_id,)).rowcount > 0

    # -- profiles ----------------------------------------------------------------------------------

    def profiles(self, account: int) -> list[str]:
        with self._tx(account) as conn:
            rows = conn.execute(
                "SELECT name FROM profiles WHERE account_id = %s ORDER BY created_at, id",
                (account,),
            ).fetchall()
        return [str(r[0]) for r in rows]

    def add_profile(self, account: int, name: str) -> str:
        name = valid_profile(name.strip())
        with self._tx(account) as conn:
            count = conn.execute("SELECT count(*) FROM profiles").fetchone()
            if count is not None and int(count[0]) >= MAX_PROFILES:
                raise InvalidInput(f"An account holds at most {MAX_PROFILES} profiles.")
            made = conn.execute(
                "INSERT INTO profiles (name, account_id, created_at) VALUES (%s, %s, %s) "
                "ON CONFLICT DO NOTHING",
                (name, account, self.clock()),
            ).rowcount
        if not made:
            raise InvalidInput(f"There is a profile named {name!r} already.")
        return name

    # -- deletion ----------------------------------------------------------------------------------

    def delete(self, account: int) -> int:
        """Delete the account: every row of every profile, its profiles, passkeys, tokens and
        sign-ins, in one transaction (under row-level security, profile by profile). Returns
        the rows deleted."""
        gone = 0
        with self._tx(account) as conn:
            names = [
                str(r[0])
                for r in conn.execute(
                    "SELECT name FROM profiles WHERE account_id = %s", (account,)
                ).fetchall()
            ]
            for name in names:
                conn.execute(SET_PROFILE, (name,))
                for table in schema.PROFILE_TABLES:
                    gone += conn.execute(f"DELETE FROM {table}").rowcount  # the policy scopes it
            gone += conn.execute("DELETE FROM profiles WHERE account_id = %s", (account,)).rowcount
            for table in schema.ACCOUNT_TABLES[:-1]:
                gone += conn.execute(
                    f"DELETE FROM {table} WHERE account_id = %s", (account,)
                ).rowcount
            gone += conn.execute("DELETE FROM accounts WHERE id = %s", (account,)).rowcount
        return gone

    # -- the server's own secret -------------------------------------------------------------------

    def server_secret(self, name: str) -> str:
        """A random secret shared by every serve process (made on first use)."""
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO server_secrets (name, value) VALUES (%s, %s) "
                "ON CONFLICT (name) DO NOTHING",
                (name, secrets.token_urlsafe(48)),
            )
            row = conn.execute(
                "SELECT value FROM server_secrets WHERE name = %s", (name,)
            ).fetchone()
        if row is None:  # pragma: no cover - just inserted
            raise StorageError("The server's secret could not be stored.")
        return str(row[0])

    def profile_by_token(self, secret_name: str, token: str) -> tuple[int, str] | None:
        """The (account, profile) whose feed or action token this is."""
        if not 10 <= len(token) <= 200:
            return None
        with self._tx() as conn:
            row = conn.execute(
                "SELECT account_id, profile FROM rollminder_profile_by_token(%s, %s)",
                (secret_name, token),
            ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))


SET_ACCOUNT = "SELECT set_config('rollminder.account', %s, true)"
SET_PROFILE = "SELECT set_config('rollminder.profile', %s, true)"
