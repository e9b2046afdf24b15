"""Progress photos (issue 17): cleaning, the store's files, the CLI, export and import."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from rollminder.errors import InvalidInput
from rollminder.photos import clean_image, good_photo_day, metadata_blocks, next_photo_day
from rollminder.service import Rollminder
from rollminder.store.memory import MemoryStore
from tests.conftest import Runner

NOW = dt.datetime(2026, 11, 25, 10, tzinfo=dt.UTC)
GPS = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}


def _exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    exif[0x8825] = GPS  # the GPS block
    return exif


XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'


def gps_jpeg(size: tuple[int, int] = (64, 48), orientation: int = 6) -> bytes:
    """A JPEG with EXIF (GPS, camera, orientation), XMP and a comment: all to be removed."""
    image = Image.new("RGB", size, (180, 120, 90))
    image.paste((20, 20, 200), (0, 0, size[0] // 4, size[1] // 4))  # a mark to find the top left
    out = io.BytesIO()
    image.save(out, "JPEG", exif=_exif(orientation), comment=b"taken at home", xmp=XMP)
    return out.getvalue()


def gps_heic(size: tuple[int, int] = (64, 48)) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    image = Image.new("RGB", size, (150, 100, 80))
    out = io.BytesIO()
    image.save(out, "HEIF", exif=_exif(1).tobytes(), xmp=XMP, quality=80)
    return out.getvalue()


def test_a_jpeg_with_gps_is_stored_upright_without_any_metadata() -> None:
    source = gps_jpeg()
    assert {"EXIF", "XMP", "comment"} <= set(metadata_blocks(source))
    cleaned = clean_image(source)
    assert metadata_blocks(cleaned.image) == [] and metadata_blocks(cleaned.thumb) == []
    with Image.open(io.BytesIO(cleaned.image)) as stored:
        assert not stored.getexif() and "xmp" not in stored.info and "comment" not in stored.info
        assert stored.size == (48, 64)  # orientation 6 (turned 90°) applied before removal
        assert (cleaned.width, cleaned.height) == (48, 64)
        # the mark, top left in the sensor's frame, is top right once upright
        assert stored.getpixel((44, 3))[2] > 150
    assert b"PhoneMaker" not in cleaned.image and b"taken at home" not in cleaned.image


def test_a_heic_with_gps_is_stored_without_exif_or_xmp() -> None:
    source = gps_heic()
    assert b"PhoneMaker" in source
    cleaned = clean_image(source)
    assert metadata_blocks(cleaned.image) == []
    assert b"PhoneMaker" not in cleaned.image and b"xmpmeta" not in cleaned.image
    with Image.open(io.BytesIO(cleaned.image)) as stored:
        assert stored.format == "JPEG" and stored.size == (64, 48)


@pytest.mark.parametrize("kind", ["PNG", "WEBP"])
def test_png_and_webp_are_read(kind: str) -> None:
    out = io.BytesIO()
    Image.new("RGBA", (30, 20), (10, 200, 10, 128)).save(out, kind)
    cleaned = clean_image(out.getvalue())
    assert (cleaned.width, cleaned.height) == (30, 20) and metadata_blocks(cleaned.image) == []


@pytest.mark.parametrize("data", [b"", b"not an image", b"GIF89a" + b"\0" * 40])
def test_what_is_not_a_photo_is_one_line(data: bytes) -> None:
    with pytest.raises(InvalidInput) as caught:
        clean_image(data)
    assert "\n" not in str(caught.value)


def test_the_next_photo_is_never_on_a_rolling_day_or_the_day_after() -> None:
    today = dt.date(2026, 11, 25)
    rolling = {dt.date(2026, 12, 23), dt.date(2026, 12, 26)}
    last = dt.date(2026, 11, 25)
    day = next_photo_day(last, today, rolling, 28)  # 23 Dec is a rolling day
    assert day == dt.date(2026, 12, 25) and good_photo_day(day, rolling)
    assert next_photo_day(None, today, set(), 28) == today


def test_the_memory_store_keeps_and_deletes_photos() -> None:
    app = Rollminder(MemoryStore(), lambda: NOW)
    photo = app.add_photo(gps_jpeg(), angle="closeup", area="cheeks", note="left cheek scar")
    assert app.photo(photo.id[:6]) == photo
    assert metadata_blocks(app.photo_image(photo.id)) == []
    assert list(app.timeline()) == ["closeup:cheeks"]
    app.delete_photo(photo.id)
    assert app.photos() == []
    with pytest.raises(InvalidInput):
        app.add_photo(gps_jpeg(), angle="closeup")  # a close-up names its area


def _files(home: Path) -> list[Path]:
    return sorted(p for p in (home / "photos").rglob("*") if p.is_file())


def test_cli_add_list_delete_removes_every_copy(
    planned: Runner, home: Path, tmp_path: Path
) -> None:
    src = tmp_path / "me.jpg"
    src.write_bytes(gps_jpeg())
    added = planned("photo", "add", str(src), "--angle", "front")
    assert added.code == 0, added.err
    assert "location and camera data removed" in added.out
    listed = planned("photo", "list", "--json").json()
    assert [p["angle"] for p in listed] == ["front"] and listed[0]["width"] == 48
    files = _files(home)
    assert len(files) == 2 and all(f.stat().st_mode & 0o077 == 0 for f in files)
    for f in files:
        assert metadata_blocks(f.read_bytes()) == []
    assert planned("photo", "list").code == 0
    gone = planned("photo", "delete", listed[0]["id"][:8], "--yes")
    assert gone.code == 0, gone.err
    assert _files(home) == [] and planned("photo", "list", "--json").json() == []
    bad = planned("photo", "add", str(tmp_path / "missing.jpg"), "--angle", "front")
    assert bad.code != 0 and "Traceback" not in bad.err


def test_export_zip_round_trips_exactly(
    planned: Runner, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for angle in ("front", "left"):
        src = tmp_path / f"{angle}.jpg"
        src.write_bytes(gps_jpeg())
        assert planned("photo", "add", str(src), "--angle", angle, "--note", "n").code == 0
    assert planned("done", "--at", "2026-11-23 21:00").code == 0
    first = planned("photo", "list", "--json").json()
    stored = {f.name: f.read_bytes() for f in _files(home)}
    out = tmp_path / "all.zip"
    result = planned("photo", "export", "--output", str(out))
    assert result.code == 0, result.err
    with zipfile.ZipFile(out) as archive:
        assert {"rollminder.json", "photos.json"} <= set(archive.namelist())
        angles = {row["angle"] for row in json.loads(archive.read("photos.json"))["photos"]}
        assert angles == {"front", "left"}
    monkeypatch.setenv("ROLLMINDER_HOME", str(tmp_path / "other"))
    back = planned("import", str(out))
    assert back.code == 0, back.err
    assert "2 added" in back.out
    assert planned("photo", "list", "--json").json() == first
    again = planned("import", str(out))
    assert "0 added, 2 already here" in again.out
    copied = {f.name: f.read_bytes() for f in _files(tmp_path / "other") if ".thumb" not in f.name}
    assert copied == {k: v for k, v in stored.items() if ".thumb" not in k}
    assert len(planned("history", "--json").json()) >= 1


def test_a_foreign_zip_is_one_line(planned: Runner, tmp_path: Path) -> None:
    bad = tmp_path / "other.zip"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("hello.txt", "hi")
    result = planned("import", str(bad))
    assert result.code != 0 and len(result.err.strip().splitlines()) == 1
    assert "Nothing was changed" in result.err


def _export_with_one_photo(planned: Runner, tmp_path: Path) -> dict[str, bytes]:
    src = tmp_path / "front.jpg"
    src.write_bytes(gps_jpeg())
    assert planned("photo", "add", str(src), "--angle", "front").code == 0
    out = tmp_path / "mine.zip"
    assert planned("photo", "export", "--output", str(out)).code == 0
    with zipfile.ZipFile(out) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return path


def _big_jpeg(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 180, 170)).save(out, "JPEG", quality=20)
    return out.getvalue()


def test_a_zip_bomb_or_an_enormous_photo_is_refused_before_it_is_read(
    planned: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A zip whose photo unpacks to 30 MB of zeros (30 KB packed), one whose files unpack to a
    hundred times its size, and one whose photo is 5,000 pixels wide: one line each, and the
    other install (which has a photo of its own) is unchanged."""
    members = _export_with_one_photo(planned, tmp_path)
    (name,) = [n for n in members if n.startswith("photos/")]
    monkeypatch.setenv("ROLLMINDER_HOME", str(tmp_path / "other"))
    src = tmp_path / "theirs.jpg"
    src.write_bytes(gps_jpeg())
    assert planned("photo", "add", str(src), "--angle", "left").code == 0
    before = planned("photo", "list", "--json").json(), planned("export").out
    bombs = {
        "big": ({**members, name: bytes(30 * 1024 * 1024)}, "A file inside is too large"),
        "wide": (
            {**members, **{f"x{i}.bin": bytes(20 * 1024 * 1024) for i in range(4)}},
            "It unpacks to far more than its size",
        ),
        "huge": ({**members, name: _big_jpeg((5000, 40))}, "A photo is not one rollminder stored"),
    }
    for label, (content, said) in bombs.items():
        path = _zip(tmp_path / f"{label}.zip", content)
        assert path.stat().st_size < 1024 * 1024, label  # small packed
        result = planned("import", str(path))
        assert result.code != 0 and len(result.err.strip().splitlines()) == 1, label
        assert said in result.err and "Nothing was changed" in result.err, (label, result.err)
        assert (planned("photo", "list", "--json").json(), planned("export").out) == before
    # The same export, as made, still imports.
    good = planned("import", str(_zip(tmp_path / "good.zip", members)))
    assert good.code == 0 and "1 added" in good.out, good.err


def test_two_strong_reactions_in_a_row_suggest_more_rest_never_change_it() -> None:
    clock = [NOW]
    app = Rollminder(MemoryStore(), lambda: clock[0])
    app.set_plan(needle_mm=0.25, weekdays=(0, 3), sessions=2, tz="Europe/Berlin")
    for days, reaction in ((9, "strong"), (5, "mild"), (2, "strong")):
        app.log_session(at=NOW - dt.timedelta(days=days), minutes=3, reaction=reaction)
    (trend,) = app.reaction_trends()
    assert [p.reaction for p in trend.points] == ["strong", "mild", "strong"]
    assert trend.suggest_rest_days is None
    app.log_session(at=NOW - dt.timedelta(hours=1), minutes=3, reaction="strong")
    (trend,) = app.reaction_trends()
    assert trend.suggest_rest_days == trend.rest_days + 7
    assert app.plan().rest_hours == 48  # a suggestion only: the plan is unchanged
