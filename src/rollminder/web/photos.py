"""The skin journal's pages (issue 17): progress photos (upload, the camera with a ghost of the
first photo, the timeline per angle, compare two dates), reactions over time with the gentle
rest suggestion, and the photos' images.

Privacy: an image is answered only inside the signed-in app (the login gate covers every path
but the login page and the static shell), always with ``Cache-Control: no-store, private``; the
service worker caches ``/static/`` only, so it never stores one; no URL or log line names more
than a photo's id.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from rollminder.errors import RollminderError
from rollminder.model import ALL_ZONES
from rollminder.photos import ANGLES, MAX_UPLOAD_BYTES
from rollminder.service import Rollminder
from rollminder.web.kit import flash, redirect, render, service

#: The upload's path and its body cap (the app's guard reads at most this much there).
UPLOAD_PATH = "/photos"
UPLOAD_BYTES = MAX_UPLOAD_BYTES + 64 * 1024
NO_STORE = {"cache-control": "no-store, private", "x-content-type-options": "nosniff"}
ANGLE_WORDS = {"front": "Front", "left": "Left side", "right": "Right side", "closeup": "Close-up"}


def angle_label(key: str) -> str:
    angle, _, area = key.partition(":")
    return f"Close-up: {area}" if angle == "closeup" else ANGLE_WORDS.get(angle, angle)


def _context(app: Rollminder) -> dict[str, Any]:
    timeline = app.timeline()
    return {
        "timeline": [(key, angle_label(key), rows) for key, rows in timeline.items()],
        "angles": [(a, ANGLE_WORDS[a]) for a in ANGLES],
        "areas": ALL_ZONES,
        "next_photo": app.next_photo(),
        "trends": app.reaction_trends() if app.has_plan() else [],
        "count": sum(len(rows) for rows in timeline.values()),
    }


async def photos_page(request: Request) -> Response:
    hosted = getattr(request.app.state, "hosted", None) is not None  # (the words on privacy)
    return render(request, "photos.html", hosted=hosted, **_context(service(request)))


async def upload(request: Request) -> Response:
    app = service(request)
    wants_json = "application/json" in request.headers.get("accept", "")
    form = await request.form(max_part_size=MAX_UPLOAD_BYTES)
    try:
        file = form.get("photo")
        if not isinstance(file, UploadFile):
            raise_input("Choose a photo to upload.")
        assert isinstance(file, UploadFile)
        data = await file.read()
        photo = app.add_photo(
            data,
            angle=str(form.get("angle", "front")),
            area=str(form.get("area", "")),
            note=str(form.get("note", "")),
            tz=str(form.get("tz", "")) or None,
        )
    except RollminderError as exc:
        if wants_json:
            return JSONResponse({"error": str(exc)}, status_code=400, headers=NO_STORE)
        flash(request, str(exc), "error")
        return redirect("/photos")
    finally:
        await form.close()
    if wants_json:
        return JSONResponse({"id": photo.id, "angle": photo.angle}, headers=NO_STORE)
    flash(request, "Photo saved: location and camera data removed.")
    return redirect(f"/photos#angle-{photo.angle}")


def raise_input(message: str) -> None:
    from rollminder.errors import InvalidInput

    raise InvalidInput(message)


async def image(request: Request) -> Response:
    app = service(request)
    kind = "thumb" if request.url.path.endswith("/thumb") else "image"
    data = app.photo_image(request.path_params["photo_id"], kind)
    return Response(data, media_type="image/jpeg", headers=NO_STORE)


async def delete(request: Request) -> Response:
    app = service(request)
    gone = app.delete_photo(request.path_params["photo_id"])
    flash(request, f"Photo of {gone.local_day():%d %b %Y} deleted: no copy is left.")
    return redirect("/photos")


async def camera(request: Request) -> Response:
    app = service(request)
    angle = request.query_params.get("angle", "front")
    area = request.query_params.get("area", "")
    if angle not in ANGLES:
        angle = "front"
    rows = [p for p in app.photos(angle) if angle != "closeup" or p.area == area]
    return render(
        request,
        "camera.html",
        angle=angle,
        area=area,
        angles=[(a, ANGLE_WORDS[a]) for a in ANGLES],
        areas=ALL_ZONES,
        ghost=rows[0] if rows else None,
    )


async def compare(request: Request) -> Response:
    app = service(request)
    timeline = app.timeline()
    key = request.query_params.get("angle") or next(iter(timeline), "front")
    rows = timeline.get(key, [])
    by_id = {p.id: p for p in rows}
    a = by_id.get(request.query_params.get("a", "")) or (rows[0] if rows else None)
    b = by_id.get(request.query_params.get("b", "")) or (rows[-1] if rows else None)
    return render(
        request,
        "compare.html",
        key=key,
        label=angle_label(key),
        keys=[(k, angle_label(k)) for k in timeline],
        rows=rows,
        a=a,
        b=b,
    )


routes: list[BaseRoute] = [
    Route("/photos", photos_page, methods=["GET"]),
    Route(UPLOAD_PATH, upload, methods=["POST"]),
    Route("/photos/camera", camera, methods=["GET"]),
    Route("/photos/compare", compare, methods=["GET"]),
    Route("/photos/{photo_id:str}/image", image, methods=["GET"]),
    Route("/photos/{photo_id:str}/thumb", image, methods=["GET"]),
    Route("/photos/{photo_id:str}/delete", delete, methods=["POST"]),
]
