"""The skin journal's pages in-process (issue 17): uploads keep no metadata, images are served
with no-store, the compare page shows the chosen photos, the report button, the Loop import."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from starlette.testclient import TestClient

from rollminder.env import Env
from rollminder.photos import metadata_blocks
from rollminder.web.app import create_app
from tests.test_loop_import import loop_zip
from tests.test_photos import gps_heic, gps_jpeg
from tests.web.common import BASE, planned_env


def token(client: TestClient, path: str = "/photos") -> str:
    found = re.search(r'"X-CSRF-Token": "([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


def upload(client: TestClient, data: bytes, name: str, angle: str = "front") -> None:
    response = client.post(
        "/photos",
        data={"angle": angle, "csrf_token": token(client)},
        files={"photo": (name, data, "image/jpeg")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:300]


def _stored(env: Env) -> list[Path]:
    return sorted(p for p in (env.home / "photos").rglob("*.jpg"))


def test_uploads_of_a_gps_jpeg_and_a_heic_store_no_metadata(client: TestClient, env: Env) -> None:
    upload(client, gps_jpeg(), "me.jpg")
    upload(client, gps_heic(), "IMG_0001.HEIC")
    files = _stored(env)
    assert len(files) == 4
    for f in files:
        data = f.read_bytes()
        assert metadata_blocks(data) == [] and b"PhoneMaker" not in data
    page = client.get("/photos")
    assert page.status_code == 200 and "Front" in page.text
    ids = re.findall(r"/photos/([0-9a-f]{32})/thumb", page.text)
    assert len(set(ids)) == 2
    image = client.get(f"/photos/{ids[0]}/image")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert "no-store" in image.headers["cache-control"]
    assert metadata_blocks(image.content) == []
    assert client.get("/photos/" + "0" * 32 + "/image").status_code == 404


def test_compare_shows_the_two_chosen_photos(client: TestClient) -> None:
    for _ in range(3):
        upload(client, gps_jpeg(), "me.jpg")
    page = client.get("/photos")
    ids = list(dict.fromkeys(re.findall(r"/photos/([0-9a-f]{32})/thumb", page.text)))
    compare = client.get(f"/photos/compare?angle=front&a={ids[0]}&b={ids[2]}")
    assert compare.status_code == 200
    assert f'id="before" src="/photos/{ids[0]}/image"' in compare.text
    assert f'id="after" src="/photos/{ids[2]}/image"' in compare.text
    assert 'id="slider"' in compare.text


def test_delete_removes_every_file(client: TestClient, env: Env) -> None:
    upload(client, gps_jpeg(), "me.jpg")
    pid = re.findall(r"/photos/([0-9a-f]{32})/thumb", client.get("/photos").text)[0]
    done = client.post(
        f"/photos/{pid}/delete", data={"csrf_token": token(client)}, follow_redirects=False
    )
    assert done.status_code == 303
    assert _stored(env) == [] and client.get(f"/photos/{pid}/image").status_code == 404


def test_a_bad_upload_is_one_line(client: TestClient) -> None:
    response = client.post(
        "/photos",
        data={"angle": "front", "csrf_token": token(client)},
        files={"photo": ("x.jpg", b"not a photo", "image/jpeg")},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 400 and "not a photo" in response.json()["error"]


def _ids(client: TestClient) -> list[str]:
    return sorted(set(re.findall(r"/photos/([0-9a-f]{32})/thumb", client.get("/photos").text)))


def _import(client: TestClient, name: str, data: bytes) -> tuple[int, str]:
    response = client.post(
        "/settings/import",
        data={"csrf_token": token(client, "/settings")},
        files={"file": (name, data, "application/zip")},
    )
    shown = re.findall(r'<p class="msg [a-z]+"[^>]*>([^<]*)</p>', response.text)
    return response.status_code, " | ".join(shown)


def test_settings_export_with_photos_moves_them_to_another_install(
    client: TestClient, tmp_path: Path
) -> None:
    upload(client, gps_jpeg(), "me.jpg")
    upload(client, gps_jpeg(), "side.jpg", angle="left")
    mine = _ids(client)
    assert 'href="/settings/export.zip"' in client.get("/settings").text
    download = client.get("/settings/export.zip")
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    assert "attachment" in download.headers["content-disposition"]
    assert "no-store" in download.headers["cache-control"]
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    assert sorted(archive.namelist()) == sorted(
        ["rollminder.json", "photos.json", *(f"photos/{i}.jpg" for i in mine)]
    )
    other = planned_env(tmp_path / "other")
    with TestClient(create_app(other, start_reminders=False), base_url=BASE) as there:
        # A broken zip, and one whose photo carries camera data: one line each, nothing changes.
        status, said = _import(there, "broken.zip", download.content[:300])
        assert status == 400 and "Nothing was changed." in said and "\n" not in said
        tampered = io.BytesIO()
        with zipfile.ZipFile(tampered, "w") as out:
            for item in archive.namelist():
                body = archive.read(item)
                out.writestr(item, gps_jpeg() if item.startswith("photos/") else body)
        status, said = _import(there, "tampered.zip", tampered.getvalue())
        assert status == 400 and "holds metadata" in said and "Nothing was changed." in said
        assert _ids(there) == [] and "me.jpg" not in there.get("/log").text
        # The export itself: every photo arrives, byte for byte; a second import adds nothing.
        status, said = _import(there, "rollminder-2026.zip", download.content)
        assert status == 200 and "Photos: 2 added, 0 already here." in said, said
        assert _ids(there) == mine
        for i in mine:
            assert there.get(f"/photos/{i}/image").content == archive.read(f"photos/{i}.jpg")
        status, said = _import(there, "rollminder-2026.zip", download.content)
        assert status == 200 and "Photos: 0 added, 2 already here." in said
        again = zipfile.ZipFile(io.BytesIO(there.get("/settings/export.zip").content))
        for item in ("photos.json", *(f"photos/{i}.jpg" for i in mine)):
            assert again.read(item) == archive.read(item), item  # rows and images as they were


def test_the_report_button_gives_a_pdf(client: TestClient) -> None:
    page = client.get("/report")
    assert page.status_code == 200 and 'action="/report.pdf"' in page.text
    pdf = client.get("/report.pdf?weeks=8")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    assert "no-store" in pdf.headers["cache-control"]
    assert client.get("/report.pdf?weeks=500").status_code == 400


def test_loop_import_from_the_web(client: TestClient, tmp_path: Path) -> None:
    path = loop_zip(tmp_path / "Loop.zip", words=True)
    response = client.post(
        "/journal/import-loop",
        data={"habit": "Derma roller", "csrf_token": token(client, "/report")},
        files={"file": ("Loop.zip", path.read_bytes(), "application/zip")},
    )
    assert response.status_code == 200
    assert "3 sessions and 1 skip added" in response.text


def test_the_service_worker_never_caches_photos(client: TestClient) -> None:
    sw = client.get("/sw.js").text
    assert 'url.pathname.indexOf("/static/") === 0' in sw
    assert "/photos" not in sw
