"""The report for the dermatologist (issue 17): a real PDF, read back with pdftotext and
rendered with pdftoppm."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from PIL import Image

from tests.conftest import SETUP, Runner
from tests.need import missing
from tests.test_photos import gps_jpeg


def _text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_the_report_holds_the_figures_and_its_pages_are_not_blank(
    rm: Runner, tmp_path: Path
) -> None:
    planned = rm
    assert rm(*SETUP, now="2026-11-01T10:00+01:00").code == 0
    if not (shutil.which("pdftotext") and shutil.which("pdftoppm")):
        missing("poppler-utils (pdftotext, pdftoppm) are not installed: make system-deps")
    assert planned("done", "--at", "2026-11-16 21:00", "--reaction", "strong").code == 0
    assert (
        planned("done", "--at", "2026-11-19 21:05", "--minutes", "1", "--note", "tingly").code == 0
    )
    assert planned("done", "--at", "2026-11-23 21:00", "--reaction", "mild").code == 0
    for day in ("2026-11-10T10:00+01:00", "2026-11-25T10:00+01:00"):
        src = tmp_path / "p.jpg"
        src.write_bytes(gps_jpeg((120, 90)))
        assert planned("photo", "add", str(src), "--angle", "front", now=day).code == 0
    pdf = tmp_path / "report.pdf"
    result = planned("report", "--weeks", "4", "--output", str(pdf))
    assert result.code == 0, result.err
    assert pdf.read_bytes().startswith(b"%PDF")
    text = _text(pdf)
    for words in (
        "Routine: face",
        "Sessions kept: 2",
        "Partial: 1",
        "Missed: 4",
        "strong",
        "tingly",
        "Needle 0.25 mm",
        "Holds",
        "Clinic visits",
        "Photos compared",
        "Front",
    ):
        assert words in " ".join(text.split()), text
    out = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(out)], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert pages
    for page in pages:
        with Image.open(page) as image:
            low, high = image.convert("L").getextrema()
            assert low < 100 and high > 200  # ink on paper, not a blank page


def test_report_limits_are_one_line(planned: Runner, tmp_path: Path) -> None:
    result = planned("report", "--weeks", "0", "--output", str(tmp_path / "r.pdf"))
    assert result.code != 0 and "1 to 104 weeks" in result.err
    result = planned("report", "--output", str(tmp_path / "r.pdf"), "--pair", "abcd")
    assert result.code != 0 and len(result.err.strip().splitlines()) == 1
