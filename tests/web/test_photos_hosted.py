"""The skin journal's pages on a hosted install (PostgreSQL, accounts, the app's role under
row-level security): uploads store no metadata, images are served only to their owner with
no-store, another account gets 404 for every photo URL and changes nothing, deleting a photo or
the account removes its images from the database, the report with photos."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from rollminder.env import Env
from rollminder.photos import metadata_blocks
from rollminder.web.app import create_app
from tests.accounts_kit import csrf, sign_up
from tests.pg import Cluster
from tests.test_photos import gps_heic, gps_jpeg
from tests.web.common import BASE, NOW, planned_env


@pytest.fixture
def two(tmp_path: Path, pg_migrated: str) -> Iterator[tuple[TestClient, TestClient]]:
    env = Env(home=tmp_path / "home", clock=lambda: NOW, database_url=pg_migrated)
    app = create_app(env, start_reminders=False)
    with TestClient(app, base_url=BASE) as a, TestClient(app, base_url=BASE) as b:
        sign_up(a, "a@example.org")
        sign_up(b, "b@example.org")
        yield a, b


def upload(client: TestClient, data: bytes, name: str, angle: str = "front") -> str:
    response = client.post(
        "/photos",
        data={"angle": angle, "csrf_token": csrf(client, "/photos")},
        files={"photo": (name, data, "image/jpeg")},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 200, response.text[:300]
    assert "no-store" in response.headers["cache-control"]
    return str(response.json()["id"])


def rows(cluster: Cluster, url: str) -> list[tuple[object, ...]]:
    return cluster.sql(
        "SELECT a.email, f.id, f.image, f.thumb FROM photos f "
        "JOIN profiles p ON p.id = f.profile_id JOIN accounts a ON a.id = p.account_id "
        "ORDER BY f.seq",
        database=url.rsplit("/", 1)[1],
    )


def test_photos_work_hosted_and_reach_only_their_owner(
    two: tuple[TestClient, TestClient], pg_cluster: Cluster, pg_migrated: str
) -> None:
    a, b = two
    first = upload(a, gps_jpeg(), "me.jpg")
    second = upload(a, gps_heic(), "IMG_0001.HEIC", angle="left")
    stored = rows(pg_cluster, pg_migrated)
    assert [(r[0], r[1]) for r in stored] == [("a@example.org", first), ("a@example.org", second)]
    for _, _, image, thumb in stored:
        for data in (bytes(image), bytes(thumb)):  # type: ignore[arg-type]
            assert metadata_blocks(data) == [] and b"PhoneMaker" not in data
    page = a.get("/photos")
    assert page.status_code == 200 and "not available" not in page.text
    assert "stay in your account" in page.text and "on this computer" not in page.text
    assert set(re.findall(r"/photos/([0-9a-f]{32})/thumb", page.text)) == {first, second}
    for kind in ("image", "thumb"):
        got = a.get(f"/photos/{first}/{kind}")
        assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
        assert got.headers["cache-control"] == "no-store, private"
        assert got.content == bytes(stored[0][2 if kind == "image" else 3])  # type: ignore[arg-type]
    third = upload(a, gps_jpeg(), "again.jpg")
    compare = a.get(f"/photos/compare?angle=front&a={first}&b={third}")
    assert f'id="before" src="/photos/{first}/image"' in compare.text
    assert f'id="after" src="/photos/{third}/image"' in compare.text
    stored = rows(pg_cluster, pg_migrated)
    # B: every URL naming A's photo is 404 (never 403: it does not say the photo exists).
    for path in (f"/photos/{first}/image", f"/photos/{first}/thumb"):
        assert b.get(path).status_code == 404
    gone = b.post(f"/photos/{first}/delete", data={"csrf_token": csrf(b, "/photos")})
    assert gone.status_code == 404
    assert (
        first not in b.get("/photos").text
        and first not in b.get(f"/photos/compare?angle=front&a={first}&b={first}").text
    )
    assert b.get("/report.pdf?weeks=8").status_code in (200, 409)
    assert rows(pg_cluster, pg_migrated) == stored  # nothing of A's changed
    # A signed out: the images are behind the sign-in.
    anonymous = TestClient(a.app, base_url=BASE)
    response = anonymous.get(f"/photos/{first}/image", follow_redirects=False)
    assert response.status_code in (303, 401, 404) and response.content[:2] != b"\xff\xd8"


def test_deleting_a_photo_and_the_account_leave_no_image(
    two: tuple[TestClient, TestClient], pg_cluster: Cluster, pg_migrated: str
) -> None:
    a, b = two
    kept = upload(a, gps_jpeg(), "me.jpg")
    doomed = upload(a, gps_jpeg(), "me.jpg")
    upload(b, gps_jpeg(), "b.jpg")
    done = a.post(
        f"/photos/{doomed}/delete",
        data={"csrf_token": csrf(a, "/photos")},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert a.get(f"/photos/{doomed}/image").status_code == 404
    assert [r[1] for r in rows(pg_cluster, pg_migrated) if r[0] == "a@example.org"] == [kept]
    report = a.get("/report.pdf?weeks=8")
    assert report.status_code in (200, 409)
    deleted = a.post(
        "/account/delete",
        data={
            "confirm": "a@example.org",
            "email": "a@example.org",
            "csrf_token": csrf(a, "/account"),
        },
    )
    assert deleted.status_code in (200, 303), deleted.text[-300:]
    assert [r[0] for r in rows(pg_cluster, pg_migrated)] == ["b@example.org"]


def test_photos_move_from_a_local_install_into_an_account_and_out_again(
    two: tuple[TestClient, TestClient], pg_cluster: Cluster, pg_migrated: str, tmp_path: Path
) -> None:
    a, b = two
    local = planned_env(tmp_path / "local")
    with TestClient(create_app(local, start_reminders=False), base_url=BASE) as mine:
        for angle in ("front", "right"):
            response = mine.post(
                "/photos",
                data={"angle": angle, "csrf_token": csrf(mine, "/photos")},
                files={"photo": ("me.jpg", gps_jpeg(), "image/jpeg")},
                headers={"accept": "application/json"},
            )
            assert response.status_code == 200
        exported = mine.get("/settings/export.zip").content
    photos = zipfile.ZipFile(io.BytesIO(exported))
    ids = sorted(n[len("photos/") : -4] for n in photos.namelist() if n.startswith("photos/"))
    assert len(ids) == 2
    moved = a.post(
        "/settings/import",
        data={"csrf_token": csrf(a, "/settings")},
        files={"file": ("rollminder.zip", exported, "application/zip")},
    )
    assert moved.status_code == 200 and "Photos: 2 added, 0 already here." in moved.text
    stored = rows(pg_cluster, pg_migrated)
    assert sorted((r[0], r[1]) for r in stored) == [("a@example.org", i) for i in ids]
    for _, pid, image, _ in stored:
        assert bytes(image) == photos.read(f"photos/{pid}.jpg")  # type: ignore[arg-type]
        assert b.get(f"/photos/{pid}/image").status_code == 404
    # The account's "Download everything": the profile's export with these photos, B's none.
    everything = zipfile.ZipFile(io.BytesIO(a.get("/account/export.zip").content))
    inner = zipfile.ZipFile(io.BytesIO(everything.read("rollminder-default.zip")))
    for pid in ids:
        assert inner.read(f"photos/{pid}.jpg") == photos.read(f"photos/{pid}.jpg")
    theirs = zipfile.ZipFile(io.BytesIO(b.get("/account/export.zip").content))
    inner_b = zipfile.ZipFile(io.BytesIO(theirs.read("rollminder-default.zip")))
    assert [n for n in inner_b.namelist() if n.startswith("photos/")] == []
