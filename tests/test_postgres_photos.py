"""Progress photos on PostgreSQL (issue 17, hosted): migration 7's table under row-level
security, the second wall with the first taken away, account deletion, the backup file, and the
export zip's exact round trip between two accounts. (The role's contract is in
tests/photo_contract.py.)"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import psycopg
import pytest

from rollminder.accounts import Accounts
from rollminder.photos import metadata_blocks
from rollminder.service import Rollminder
from rollminder.store import postgres_schema as schema
from rollminder.store.postgres import PostgresStore, migrate
from rollminder.store.postgres_dump import load
from tests.pg import APP, NOW, OWNER, Cluster
from tests.test_photos import gps_heic, gps_jpeg

SET_KEYS = (
    "SELECT set_config('rollminder.profile', %s, true), set_config('rollminder.account', %s, true)"
)


def owner_url(app_url: str) -> str:
    return app_url.replace(f"//{APP}:", f"//{OWNER}:", 1)


def account(url: str, mail: str) -> int:
    made = Accounts(url, lambda: NOW).sign_up(mail, "correct horse 1")
    assert made is not None
    return made


def app_of(url: str, account_id: int | None, profile: str = "default") -> Rollminder:
    store = PostgresStore.open(url, profile=profile, now=NOW, account=account_id)
    return Rollminder(store, lambda: NOW)


def test_migration_7_makes_a_secured_profile_table(pg_migrated: str) -> None:
    assert 7 in [m.version for m in schema.MIGRATIONS]
    assert "photos" in schema.PROFILE_TABLES
    with psycopg.connect(owner_url(pg_migrated)) as conn:
        secured = conn.execute(
            "SELECT relrowsecurity FROM pg_class WHERE relname = 'photos'"
        ).fetchone()
        policies = conn.execute(
            "SELECT policyname, qual FROM pg_policies WHERE tablename = 'photos'"
        ).fetchall()
        trigger = conn.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'photos_stamp_%'"  # migration 12
        ).fetchone()
        storage = conn.execute(
            "SELECT attname, attstorage FROM pg_attribute WHERE attrelid = 'photos'::regclass "
            "AND attname IN ('image', 'thumb') ORDER BY attname"
        ).fetchall()
    assert secured == (True,) and trigger == (4,)  # insert, update, delete, truncate
    assert [name for name, _ in policies] == ["photos_of_the_profile"]
    assert "rollminder.account" in str(policies[0][1])  # keyed on the account's profile
    assert storage == [("image", "e"), ("thumb", "e")]  # JPEG: stored out of line, uncompressed


def test_the_app_role_with_a_keys_reaches_no_photo_of_b(pg_migrated: str) -> None:
    url = pg_migrated
    a_id, b_id = account(url, "a@example.org"), account(url, "b@example.org")
    b_app = app_of(url, b_id)
    b_photo = b_app.add_photo(gps_jpeg(), angle="front")
    a_app = app_of(url, a_id)
    a_app.add_photo(gps_jpeg(), angle="left")
    with psycopg.connect(url) as conn:
        for profile in ("default", ""):
            conn.execute(SET_KEYS, (profile, str(a_id)))
            rows = conn.execute("SELECT id FROM photos").fetchall()  # no WHERE at all
            assert b_photo.id not in {r[0] for r in rows}
            assert conn.execute("UPDATE photos SET note = 'A was here'").rowcount <= 1
            assert conn.execute("DELETE FROM photos WHERE id = %s", (b_photo.id,)).rowcount == 0
            conn.rollback()
        conn.execute(SET_KEYS, ("default", str(a_id)))
        b_profile = conn.execute(
            "SELECT id FROM profiles WHERE account_id = %s", (b_id,)
        ).fetchall()
        assert b_profile == []  # A cannot even name B's profile
        conn.rollback()
    with psycopg.connect(owner_url(url)) as conn:
        (pid,) = conn.execute(
            "SELECT id FROM profiles WHERE account_id = %s", (b_id,)
        ).fetchone() or (0,)
    with psycopg.connect(url) as conn:
        conn.execute(SET_KEYS, ("default", str(a_id)))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO photos (profile_id, id, taken, angle, width, height, area, tz, "
                "note, created_at, image, thumb) VALUES "
                "(%s, 'x', now(), 'front', 1, 1, '', '', '', now(), '', '')",
                (pid,),
            )
    assert b_app.photo_image(b_photo.id) and [p.id for p in b_app.photos()] == [b_photo.id]


def test_deleting_an_account_deletes_its_photos(pg_migrated: str, pg_cluster: Cluster) -> None:
    url = pg_migrated
    gone, kept = account(url, "gone@example.org"), account(url, "kept@example.org")
    for who in (gone, kept):
        app_of(url, who).add_photo(gps_jpeg(), angle="front")
    Accounts(url, lambda: NOW).add_profile(gone, "kid")
    app_of(url, gone, "kid").add_photo(gps_heic(), angle="closeup", area="cheeks")
    Accounts(url, lambda: NOW).delete(gone)
    database = url.rsplit("/", 1)[1]
    left = pg_cluster.sql(
        "SELECT p.account_id, count(*) FROM photos f JOIN profiles p ON p.id = f.profile_id "
        "GROUP BY p.account_id",
        database=database,
    )
    assert left == [(kept, 1)]
    assert pg_cluster.sql("SELECT count(*) FROM photos", database=database) == [(1,)]


def test_deleting_a_photo_leaves_no_copy_in_the_database(
    pg_migrated: str, pg_cluster: Cluster
) -> None:
    app = app_of(pg_migrated, account(pg_migrated, "p@example.org"))
    photo = app.add_photo(gps_jpeg(), angle="front")
    image = app.photo_image(photo.id)
    database = pg_migrated.rsplit("/", 1)[1]
    assert pg_cluster.sql("SELECT count(*) FROM photos", database=database) == [(1,)]
    app.delete_photo(photo.id)
    assert app.photos() == []
    assert pg_cluster.sql("SELECT count(*) FROM photos", database=database) == [(0,)]
    found = pg_cluster.sql(
        "SELECT count(*) FROM photos WHERE position(%s::bytea IN image) > 0".replace(
            "%s", "'\\x" + image[:64].hex() + "'"
        ),
        database=database,
    )
    assert found == [(0,)]


def test_backup_now_and_load_keep_every_byte(
    pg_migrated: str, pg_cluster: Cluster, tmp_path: Path
) -> None:
    url = owner_url(pg_migrated)
    app = app_of(url, None)
    taken = [app.add_photo(gps_jpeg(), angle="front"), app.add_photo(gps_heic(), angle="left")]
    images = {p.id: (app.photo_image(p.id), app.photo_image(p.id, "thumb")) for p in taken}
    dest = tmp_path / "backup.txt"
    app.raw.backup_now(dest)
    copy = pg_cluster.new_database()
    try:
        copy_url = pg_cluster.url(copy, OWNER)
        migrate(copy_url, now=NOW)
        with psycopg.connect(copy_url) as conn:
            load(conn, dest)
        restored = app_of(copy_url, None)
        assert restored.photos() == app.photos()
        for p in taken:
            assert (restored.photo_image(p.id), restored.photo_image(p.id, "thumb")) == images[p.id]
        restored.close()
    finally:
        from rollminder.store.postgres_base import close_pool

        close_pool(pg_cluster.url(copy, OWNER))
        pg_cluster.drop_database(copy)


def test_the_export_zip_round_trips_exactly_between_accounts(pg_migrated: str) -> None:
    url = pg_migrated
    source = app_of(url, account(url, "from@example.org"))
    source.set_plan(needle_mm=0.25, weekdays=(0, 3), sessions=2, tz="Europe/Berlin")
    source.add_photo(gps_jpeg((640, 480)), angle="front", note="Fensterlicht ☀")
    source.add_photo(gps_heic(), angle="closeup", area="cheeks")
    data = source.export_zip()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.endswith(".jpg"):
                assert metadata_blocks(archive.read(name)) in ([], ["APP0"])
    target = app_of(url, account(url, "to@example.org"))
    _, added, same = target.import_zip(data, source="export.zip")
    assert (added, same) == (2, 0)
    assert target.photos() == source.photos()
    for p in source.photos():
        assert target.photo_image(p.id) == source.photo_image(p.id)
    assert target.export_zip() == data  # the round trip is exact, byte for byte
    _, added, same = target.import_zip(data, source="export.zip")
    assert (added, same) == (0, 2)
