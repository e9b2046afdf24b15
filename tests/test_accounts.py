"""Accounts on PostgreSQL (rollminder.accounts, as the app's role): passwords hashed with argon2id,
one-use expiring tokens stored as digests, profile names unique per account (not per
database), rate limits shared through the database, and deleting an account removes every row of
every profile of it (counted per table before and after), leaving other accounts whole."""

from __future__ import annotations

import datetime as dt

import pytest

from rollminder.accounts import Accounts, TooMany, digest
from rollminder.errors import InvalidInput
from rollminder.store import postgres_schema as schema
from rollminder.store.postgres import PostgresStore
from tests.conftest import Runner
from tests.pg import NOW, Cluster
from tests.photo_contract import a_photo
from tests.store_contract import a_session, fill


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


def rows(cluster: Cluster, url: str) -> dict[str, int]:
    found = {}
    for table in ("profiles", *schema.PROFILE_TABLES, *schema.ACCOUNT_TABLES):
        [(n,)] = cluster.sql(f"SELECT count(*) FROM {table}", database=url.rsplit("/", 1)[1])
        found[table] = int(str(n))
    return found


def test_passwords_are_argon2id_and_e_mails_any_case(pg_migrated: str, pg_cluster: Cluster) -> None:
    accounts = Accounts(pg_migrated, Clock())
    ada = accounts.sign_up("Ada@Example.org", "a long password")
    assert ada is not None
    assert accounts.sign_up("ada@example.ORG", "another password") is None  # taken, any case
    [(stored,)] = pg_cluster.sql(
        "SELECT password_hash FROM accounts", database=pg_migrated.rsplit("/", 1)[1]
    )
    assert str(stored).startswith("$argon2id$") and "a long password" not in str(stored)
    assert accounts.check_password("ADA@example.org", "a long password") == ada
    assert accounts.check_password("ada@example.org", "a long passwor") is None
    assert accounts.check_password("nobody@example.org", "a long password") is None
    with pytest.raises(InvalidInput, match="at least 10"):
        accounts.sign_up("bo@example.org", "short")
    with pytest.raises(InvalidInput, match="e-mail"):
        accounts.sign_up("bo@@example.org", "long enough pw")


def test_tokens_are_single_use_expire_and_only_their_digest_is_kept(
    pg_migrated: str, pg_cluster: Cluster
) -> None:
    clock = Clock()
    accounts = Accounts(pg_migrated, clock)
    ada = accounts.sign_up("ada@example.org", "a long password")
    assert ada is not None
    token = accounts.new_token(ada, "verify")
    [(kept,)] = pg_cluster.sql(
        "SELECT digest FROM account_tokens", database=pg_migrated.rsplit("/", 1)[1]
    )
    assert bytes(kept) == digest(token)  # type: ignore[arg-type]
    assert accounts.use_token(token, "reset") is None  # the wrong purpose
    assert accounts.verify(token) == ada
    assert accounts.verify(token) is None  # once
    assert accounts.account(ada).verified_at == NOW
    reset = accounts.new_token(ada, "reset")
    clock.now = NOW + dt.timedelta(hours=1, seconds=1)
    assert accounts.reset(reset, "a new password!") is None  # expired
    assert accounts.check_password("ada@example.org", "a long password") == ada


def test_a_new_password_ends_every_sign_in(pg_migrated: str) -> None:
    accounts = Accounts(pg_migrated, Clock())
    ada = accounts.sign_up("ada@example.org", "a long password")
    assert ada is not None
    sid = accounts.start_signin(ada)
    assert accounts.signin_alive(ada, sid)
    bo = accounts.sign_up("bo@example.org", "a long password")
    assert bo is not None and not accounts.signin_alive(bo, sid)  # not another account's
    accounts.set_password(ada, "a newer password")
    assert not accounts.signin_alive(ada, sid)


def test_profile_names_are_unique_per_account(pg_migrated: str) -> None:
    accounts = Accounts(pg_migrated, Clock())
    ada = accounts.sign_up("ada@example.org", "a long password")
    bo = accounts.sign_up("bo@example.org", "a long password")
    assert ada is not None and bo is not None
    assert accounts.add_profile(ada, "kid") == "kid"
    assert accounts.add_profile(bo, "kid") == "kid"  # the same name in another account
    with pytest.raises(InvalidInput, match="already"):
        accounts.add_profile(ada, "kid")
    for account, note in ((ada, "ada's"), (bo, "bo's")):
        with PostgresStore.open(pg_migrated, profile="kid", now=NOW, account=account) as store:
            store.put_session(a_session(1, id="same-id", note=note))
    with PostgresStore.open(pg_migrated, profile="kid", now=NOW, account=ada) as store:
        assert [s.note for s in store.sessions()] == ["ada's"]
    with PostgresStore.open(pg_migrated, profile="kid", now=NOW) as nobody:  # no account
        assert nobody.sessions() == []
    assert accounts.profiles(ada) == ["default", "kid"]


def test_rate_limits_are_shared_through_the_database(pg_migrated: str) -> None:
    clock = Clock()
    one, two = Accounts(pg_migrated, clock), Accounts(pg_migrated, clock)  # two processes
    for i in range(8):
        (one if i % 2 else two).hit("signin-email", "Ada@example.org")
    with pytest.raises(TooMany) as refused:
        one.hit("signin-email", "ada@EXAMPLE.org")
    assert 0 < refused.value.wait <= 900
    two.hit("signin-email", "bo@example.org")  # another e-mail: its own count
    clock.now = NOW + dt.timedelta(minutes=16)
    one.hit("signin-email", "ada@example.org")  # a new window


def test_deleting_an_account_removes_every_row_of_every_profile(
    pg_migrated: str, pg_cluster: Cluster
) -> None:
    accounts = Accounts(pg_migrated, Clock())
    bo = accounts.sign_up("bo@example.org", "a long password")
    assert bo is not None
    with PostgresStore.open(pg_migrated, profile="default", now=NOW, account=bo) as store:
        fill(store)
        store.put_photo(a_photo(), b"bo's image", b"thumb")
    before = rows(pg_cluster, pg_migrated)
    ada = accounts.sign_up("ada@example.org", "a long password")
    assert ada is not None
    accounts.add_profile(ada, "kid")
    for profile in ("default", "kid"):
        with PostgresStore.open(pg_migrated, profile=profile, now=NOW, account=ada) as store:
            fill(store)
            store.put_photo(a_photo(), b"image", b"thumb")  # photos go too (migration 7)
            store.put_due_index({"": NOW})  # the due index and its prepared pass (migration 9)
    accounts.add_passkey(ada, b"\x01" * 16, b"key", 0, "Phone")
    accounts.start_signin(ada)
    accounts.new_token(ada, "verify")
    during = rows(pg_cluster, pg_migrated)
    assert all(during[t] > before[t] for t in schema.PROFILE_TABLES)
    assert accounts.delete(ada) == sum(during.values()) - sum(before.values())
    assert rows(pg_cluster, pg_migrated) == before  # bo's rows all stay
    assert accounts.find("ada@example.org") is None
    with PostgresStore.open(pg_migrated, profile="default", now=NOW, account=bo) as store:
        assert len(store.sessions()) == 1 and store.secret("password") == "hash ✓"


def test_serve_refuses_a_bad_smtp_url_in_one_line(rm: Runner) -> None:
    result = rm("serve", "--smtp", "http://user:s3cret@mail.example.org")
    assert result.code != 0 and result.err.count("\n") == 1
    assert "smtp://" in result.err and "s3cret" not in result.err


def test_serve_takes_smtp_only_in_hosted_mode(rm: Runner) -> None:
    """An empty --smtp is refused (it once started the server), and a good one needs --database:
    the embedded app sends no account mail."""
    empty = rm("serve", "--smtp", "")
    assert empty.code == 1 and "smtp://" in empty.err
    alone = rm("serve", "--smtp", "smtp://user:s3cret@mail.example.org:587")
    assert alone.code == 1 and "hosted mode" in alone.err and "s3cret" not in alone.err


def test_each_profile_has_its_own_data_stamp_and_writes_of_two_wait_for_neither(
    pg_migrated: str,
) -> None:
    """Migration 12: another account's writes leave a profile's stamp (and its cached pages);
    its own move it; and two profiles' writing
    transactions no longer wait for each other (the one stamp row locked every writer until it
    committed)."""
    import threading

    accounts = Accounts(pg_migrated, Clock())
    ada, bo = (
        accounts.sign_up("ada@example.org", "a long password"),
        accounts.sign_up("bo@example.org", "a long password"),
    )
    assert ada is not None and bo is not None
    with (
        PostgresStore.open(pg_migrated, profile="default", now=NOW, account=ada) as a,
        PostgresStore.open(pg_migrated, profile="default", now=NOW, account=bo) as b,
    ):
        a.put_session(a_session(1, id="a1"))
        b.put_session(a_session(1, id="b1"))
        stamp = a.data_stamp()
        b.put_session(a_session(2, id="b2"))
        assert b.delete_session("b2")
        assert a.data_stamp() == stamp  # another account's writes
        a.put_session(a_session(2, id="a2"))
        assert a.data_stamp() != stamp
        stamp = a.data_stamp()
        done = threading.Event()
        with a.transaction():
            a.put_session(a_session(3, id="a3"))  # ada's transaction stays open ...
            writer = threading.Thread(target=lambda: (b.put_session(a_session(3)), done.set()))
            writer.start()
            assert done.wait(10), "bo's write waited for ada's transaction"
            with PostgresStore.open(pg_migrated, profile="default", now=NOW, account=ada) as c:
                assert c.data_stamp() == stamp  # ada's write is not committed yet
        writer.join()
        assert a.data_stamp() != stamp
