"""Settings' "Export and import" and "Backups": the JSON, CSV and zip-with-photos exports, the
import of a JSON export or a zip with photos, a backup now, and a restore."""

from __future__ import annotations

from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rollminder import limits
from rollminder.errors import ImportFailed, InvalidInput
from rollminder.web import forms, security
from rollminder.web.errors import error_response
from rollminder.web.kit import IMPORT_PATH, flash, redirect, reset_store, service

#: How a zip file starts (a local file header).
ZIP_MAGIC = b"PK\x03\x04"


# -- export and import ---------------------------------------------------------------------------


async def export(request: Request) -> Response:

    app = service(request)
    form = request.path_params["form"]
    day = app.local_now().date().isoformat()
    body: str | bytes
    if form == "json":
        body, media = app.export_json(), "application/json"
    elif form == "csv":
        body, media = app.export_csv(), "text/csv; charset=utf-8"
    elif form == "zip":  # the JSON export and every photo, byte for byte (import reads it back)
        body, media = app.export_zip(), "application/zip"
    else:
        raise HTTPException(404)
    return Response(
        body,
        media_type=media,
        headers={
            "content-disposition": f'attachment; filename="rollminder-{day}.{form}"',
            "cache-control": "no-store",
        },
    )


async def import_(request: Request) -> Response:
    """A JSON export, or a zip with photos (Settings' or the account page's export)."""
    app = service(request)
    form = await request.form()
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ImportFailed("Choose a rollminder export to import. Nothing was changed.")
        name = limits.shown(Path(upload.filename).name[:100]) or "the file"  # no bidi tricks
        raw = await upload.read()
    finally:
        await form.close()
    if raw[:4] == ZIP_MAGIC:
        report, added, same = app.import_zip(raw, source=name)
        flash(request, report.summary())  # type: ignore[attr-defined]
        flash(request, f"Photos: {added} added, {same} already here.")
        return redirect("/settings#data")
    most = request.app.state.max_import_bytes  # the larger limit is for zips with photos
    if len(raw) > most:
        return error_response(request, 413, security.too_large(most))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportFailed(
            f"Cannot import {name}: it is not a rollminder export (neither JSON text nor a "
            "zip with photos). Nothing was changed."
        ) from None
    report = app.import_json(text, source=name)
    flash(request, report.summary())
    return redirect("/settings#data")


# -- backups -------------------------------------------------------------------------------------


async def backup_now(request: Request) -> Response:
    app = service(request)
    env = request.app.state.env
    dest = app.backup_now(env.backup_dir)
    flash(request, f"Backed up to {dest.name}.")
    return redirect("/settings#backups")


async def restore(request: Request) -> Response:
    env = request.app.state.env
    form = await request.form()
    name = forms.text(form, "name")
    found = {p.name: p for p in env.backups()}
    if name not in found:
        raise InvalidInput("Choose one of the listed backups. Nothing was changed.")
    if form.get("confirm") != "yes":
        raise InvalidInput("Tick the box to confirm: restoring replaces your data.")
    reset_store(request)
    kept = env.restore_backup(found[name])
    flash(request, f"Restored {name}.")
    if kept is not None:
        flash(request, f"The data you had before is kept in {kept.name}.")
    return redirect("/settings#backups")


routes: list[BaseRoute] = [
    Route("/settings/export.{form}", export, methods=["GET"]),
    Route(IMPORT_PATH, import_, methods=["POST"]),
    Route("/settings/backup", backup_now, methods=["POST"]),
    Route("/settings/restore", restore, methods=["POST"]),
]
