"""Progress photos (issue 17; DOMAIN.md "Progress photos"): the record, the angles, and the one
function that makes a stored image out of what a person gives (a camera frame or an upload).

Cleaning (:func:`clean_image`): the image is decoded (JPEG, PNG, WebP, and iPhone HEIC through
pillow-heif), turned upright by its EXIF orientation, then re-encoded from its pixels alone: no
EXIF (so no GPS or camera data), no XMP, no comment, no ICC profile (the pixels are converted to
sRGB first when the source had a profile), no thumbnail of the camera's. A small thumbnail is made
the same way. Pillow and pillow-heif are imported on first use (the CLI stays quick).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from rollminder.errors import InvalidInput
from rollminder.model import ALL_ZONES, new_id

#: The angles a photo is taken from (DOMAIN.md: front, left, right, and a close-up of a spot).
ANGLES: tuple[str, ...] = ("front", "left", "right", "closeup")
#: The largest side of a stored photo (12 MP phone photos are about 4000 px wide: kept whole).
MAX_SIDE = 4096
THUMB_SIDE = 320
#: The most bytes an upload may have (a HEIC from a phone is 2-5 MB, a JPEG up to ~12 MB).
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
#: The most pixels decoded (a decompression bomb is refused, never decoded).
MAX_PIXELS = 50_000_000
JPEG_QUALITY = 88

#: Our default (DOMAIN.md; no source gives one): one photo every 4 weeks.
PHOTO_EVERY_DAYS = 28


@dataclass(frozen=True)
class Photo:
    """One progress photo. The image itself is kept by the store beside the row (files in the
    data directory), never in an export's JSON."""

    taken: dt.datetime  # aware: when it was taken (saved)
    angle: str  # one of ANGLES
    width: int
    height: int
    area: str = ""  # the zone of a close-up ("cheeks"), "" otherwise
    tz: str = ""  # the IANA zone it was taken in (the day shown is that zone's)
    note: str = ""
    id: str = field(default_factory=new_id)
    created_at: dt.datetime = field(kw_only=True)

    def local_day(self) -> dt.date:
        from zoneinfo import ZoneInfo

        return self.taken.astimezone(ZoneInfo(self.tz or "UTC")).date()


@dataclass(frozen=True)
class Cleaned:
    """A photo ready to store: JPEG bytes holding pixels only, and its thumbnail."""

    image: bytes
    thumb: bytes
    width: int
    height: int


def check_angle(angle: str, area: str) -> tuple[str, str]:
    """The angle and area as stored; a close-up names an area, the others none."""
    angle = angle.strip().lower()
    area = area.strip().lower()
    if angle not in ANGLES:
        raise InvalidInput(f"The angle must be one of {', '.join(ANGLES)}.")
    if angle != "closeup":
        if area:
            raise InvalidInput("Only a close-up names an area.")
        return angle, ""
    if area not in ALL_ZONES:
        raise InvalidInput(f"A close-up names its area: one of {', '.join(ALL_ZONES)}.")
    return angle, area


def _open(data: bytes) -> Any:
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:  # pragma: no cover - pillow-heif is a dependency
        pass
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in {"JPEG", "PNG", "WEBP", "HEIF", "MPO"}:
            raise InvalidInput("A photo must be a JPEG, PNG, WebP or HEIC image.")
        image.load()
    except InvalidInput:
        raise
    except Image.DecompressionBombError as exc:
        raise InvalidInput("That image is too large (more than 50 megapixels).") from exc
    except Exception as exc:  # Pillow raises many kinds for a file that is not an image
        raise InvalidInput("That file is not a photo rollminder can read.") from exc
    return image


def _srgb(image: Any) -> Any:
    """The pixels in sRGB, without any profile: a source profile is applied, then dropped."""
    from PIL import Image, ImageCms

    icc = image.info.get("icc_profile")
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    if icc and image.mode == "RGB":
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            target = ImageCms.createProfile("sRGB")
            image = ImageCms.profileToProfile(image, source, target, outputMode="RGB")
        except Exception:  # a broken profile: the pixels as they are
            pass
    return image.convert("RGB")


def _pixels_only(image: Any) -> Any:
    """A new image holding only the pixels (no info dict, no EXIF, no text chunks)."""
    from PIL import Image

    bare = Image.new(image.mode, image.size)
    bare.paste(image)
    return bare


def _jpeg(image: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue()


def clean_image(data: bytes) -> Cleaned:
    """Decode, turn upright, remove every metadata block, re-encode; raise InvalidInput (one
    line) for what is not a readable photo."""
    from PIL import Image, ImageOps

    if not data:
        raise InvalidInput("The photo is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput("That photo is larger than 25 MB.")
    image = _open(data)
    image = ImageOps.exif_transpose(image)  # orientation applied: then the EXIF goes
    image = _pixels_only(_srgb(image))
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    thumb = image.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    return Cleaned(_jpeg(image), _jpeg(thumb), image.width, image.height)


def metadata_blocks(data: bytes) -> list[str]:
    """The metadata blocks a JPEG holds (APP1 EXIF/XMP, APP2 ICC, COM...), by name: the tests
    and ``photo list`` check a stored photo holds none but JFIF's APP0."""
    found: list[str] = []
    if data[:2] != b"\xff\xd8":
        return ["not a JPEG"]
    i = 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        if marker == 0xDA:  # start of scan: no more headers
            break
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        body = data[i + 4 : i + 2 + length]
        if marker == 0xE1:
            found.append("XMP" if body.startswith(b"http://ns.adobe.com") else "EXIF")
        elif marker == 0xE2:
            found.append("ICC")
        elif marker == 0xFE:
            found.append("comment")
        elif 0xE3 <= marker <= 0xEF:
            found.append(f"APP{marker - 0xE0}")
        i += 2 + length
    return found


# -- when the next photo is due (the photo reminder) -----------------------------------------


def next_photo_day(
    last: dt.date | None, today: dt.date, rolling_days: set[dt.date], every_days: int
) -> dt.date:
    """The day the next photo is asked for: ``every_days`` after the last one (today if none),
    moved later past any day with a session planned or done and the day after it (the skin is
    red and puffy then: DOMAIN.md "Progress photos")."""
    day = today if last is None else max(today, last + dt.timedelta(days=every_days))
    for _ in range(60):
        if day in rolling_days or (day - dt.timedelta(days=1)) in rolling_days:
            day += dt.timedelta(days=1)
            continue
        break
    return day


def good_photo_day(day: dt.date, rolling_days: set[dt.date]) -> bool:
    """Neither a rolling day nor the day after one."""
    return day not in rolling_days and (day - dt.timedelta(days=1)) not in rolling_days


def pairs_of(photos: list[Photo]) -> list[tuple[Photo, Photo]]:
    """For each angle, its first and its newest photo (the pair a report shows by default)."""
    by: dict[str, list[Photo]] = {}
    for p in photos:
        by.setdefault(f"{p.angle}:{p.area}", []).append(p)
    return [(rows[0], rows[-1]) for rows in by.values() if len(rows) > 1]
