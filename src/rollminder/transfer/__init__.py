"""Export and import of one profile's data.

JSON (:func:`export_json` / :func:`import_json`) carries everything, losslessly, for backup and
moving between machines or profiles. CSV (:func:`export_csv`) is one flat table of sessions and
skips for spreadsheets; it is not imported.

The JSON document::

    {"format": "rollminder-export", "version": 1, "profile": "default",
     "settings": {...}, "plans": [...], "sessions": [...], "skips": [...], "pauses": [...],
     "rollers": [...], "visits": [...], "series": [...], "holds": [...], "clinician": [...]}

- ``holds`` and ``clinician`` (the pre-session check, issue 4) and the setting ``session_check``
  came later within version 1: an export without them imports as if they were empty (default).

- Every row has all its fields, including ``id`` and ``created_at``. Instants are ISO 8601 in UTC
  with their offset (``2026-11-26T20:05:00+00:00``), dates ``YYYY-MM-DD``, the plan's wall time
  ``HH:MM`` (seconds only if set), tuples are lists, and real numbers are always written as
  floats (``3.0``) so the text does not depend on how a store hands numbers back.
- Keys are sorted; rows are sorted by time then id (plans by ``created_at`` in the store's version
  order, so the current plan stays current); ``indent=2``, UTF-8 text, a trailing newline. The same
  data always gives the same bytes, and ``export -> import -> export`` is identical. The export
  time is only written when passed (``exported_at``).

Import validates the whole document first (shape, types, ranges, enums, id format, text lengths;
plans through :func:`rollminder.rules.validate_plan`), then writes every row inside one
transaction with the ``put_*`` methods, which insert or replace by id: importing merges, and
importing the same file twice changes nothing (unchanged rows are not even rewritten). Any problem
raises :class:`~rollminder.errors.ImportFailed` naming the file and the first problem with its JSON
path, and nothing is changed. References between rows (a session's ``roller_id``, a visit's
``series_id``) are not required to resolve: a deleted roller leaves its sessions' ids behind, and
such an export must import again.
"""

from __future__ import annotations

from rollminder.transfer.codecs import (
    _SCHEMA,
    _SETTINGS,
    CSV_COLUMNS,
    FORMAT,
    KINDS,
    LATER_KINDS,
    VERSION,
)
from rollminder.transfer.export import export_csv, export_json
from rollminder.transfer.importer import MAX_IMPORT_BYTES, WRITERS, import_json, read_export
from rollminder.transfer.report import ImportReport, KindCounts

__all__ = [
    "CSV_COLUMNS",
    "FORMAT",
    "KINDS",
    "LATER_KINDS",
    "MAX_IMPORT_BYTES",
    "VERSION",
    "WRITERS",
    "_SCHEMA",
    "_SETTINGS",
    "ImportReport",
    "KindCounts",
    "export_csv",
    "export_json",
    "import_json",
    "read_export",
]
