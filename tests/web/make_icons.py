"""Draws the web app's icons: src/rollminder/web/static/icons/{icon.svg, icon-192.png, icon-512.png,
icon-maskable-512.png}. Standard library only (zlib and struct write the PNGs).

    .venv/bin/python tests/web/make_icons.py

The picture: a derma roller (a roller head with needle dots on a handle), white on teal. The
"any" icons have rounded corners; the maskable one fills the square and keeps the roller inside
the central 80% circle that launchers may crop to. test_browser_pwa.py checks the committed files.
"""

from __future__ import annotations

import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

ICONS = Path(__file__).resolve().parents[2] / "src" / "rollminder" / "web" / "static" / "icons"

TEAL = (0x1D, 0x6B, 0x73)
WHITE = (0xFF, 0xFF, 0xFF)

# Shapes in unit coordinates (0..1, y down).
HEAD = (0.22, 0.26, 0.78, 0.46, 0.07)  # x0, y0, x1, y1, corner radius
HANDLE = ((0.5, 0.5), (0.5, 0.84), 0.055)  # a capsule: from, to, radius
NECK = (0.44, 0.44, 0.56, 0.54, 0.0)
DOTS = [(0.29 + i * 0.084, 0.32 + j * 0.08) for j in range(2) for i in range(6)]
DOT_R = 0.02
CORNER = 0.2  # corner radius of the "any" icons' background


def _in_round_rect(x: float, y: float, rect: tuple[float, float, float, float, float]) -> bool:
    x0, y0, x1, y1, r = rect
    if not (x0 <= x <= x1 and y0 <= y <= y1):
        return False
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def _in_capsule(x: float, y: float) -> bool:
    (ax, ay), (bx, by), r = HANDLE
    t = max(
        0.0,
        min(1.0, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)),
    )
    px, py = ax + t * (bx - ax), ay + t * (by - ay)
    return (x - px) ** 2 + (y - py) ** 2 <= r * r


def _color(x: float, y: float, *, maskable: bool) -> tuple[int, int, int, int]:
    """RGBA of one sample point of the icon."""
    if not maskable and not _in_round_rect(x, y, (0.0, 0.0, 1.0, 1.0, CORNER)):
        return (0, 0, 0, 0)
    if maskable:  # the roller shrunk into the safe zone
        x, y = 0.5 + (x - 0.5) / 0.8, 0.5 + (y - 0.5) / 0.8
    on_roller = _in_round_rect(x, y, HEAD) or _in_capsule(x, y) or _in_round_rect(x, y, NECK)
    if on_roller and not any((x - dx) ** 2 + (y - dy) ** 2 <= DOT_R**2 for dx, dy in DOTS):
        return (*WHITE, 255)
    return (*TEAL, 255)


def render(size: int, *, maskable: bool = False, samples: int = 3) -> bytes:
    """The icon as RGBA rows, averaged over samples x samples points per pixel."""
    color: Callable[[float, float], tuple[int, int, int, int]] = lambda x, y: _color(  # noqa: E731
        x, y, maskable=maskable
    )
    rows = bytearray()
    n = samples * samples
    for py in range(size):
        rows.append(0)  # PNG filter: none
        for px in range(size):
            r = g = b = a = 0
            for sy in range(samples):
                for sx in range(samples):
                    c = color(
                        (px + (sx + 0.5) / samples) / size, (py + (sy + 0.5) / samples) / size
                    )
                    r, g, b, a = r + c[0] * c[3], g + c[1] * c[3], b + c[2] * c[3], a + c[3]
            if a:
                rows += bytes((round(r / a), round(g / a), round(b / a), round(a / n)))
            else:
                rows += b"\0\0\0\0"
    return bytes(rows)


def png(size: int, rows: bytes) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def svg() -> str:
    def hexc(c: tuple[int, int, int]) -> str:
        return "#{:02x}{:02x}{:02x}".format(*c)

    x0, y0, x1, y1, r = HEAD
    (ax, ay), (bx, by), hr = HANDLE
    nx0, ny0, nx1, ny1, _ = NECK
    dots = "".join(f'<circle cx="{dx:g}" cy="{dy:g}" r="{DOT_R:g}"/>' for dx, dy in DOTS)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1">'
        f'<rect width="1" height="1" rx="{CORNER:g}" fill="{hexc(TEAL)}"/>'
        f'<g fill="{hexc(WHITE)}">'
        f'<rect x="{x0:g}" y="{y0:g}" width="{x1 - x0:g}" height="{y1 - y0:g}" rx="{r:g}"/>'
        f'<rect x="{nx0:g}" y="{ny0:g}" width="{nx1 - nx0:g}" height="{ny1 - ny0:g}"/>'
        f'<line x1="{ax:g}" y1="{ay:g}" x2="{bx:g}" y2="{by:g}" stroke="{hexc(WHITE)}" '
        f'stroke-width="{2 * hr:g}" stroke-linecap="round"/></g>'
        f'<g fill="{hexc(TEAL)}">{dots}</g></svg>\n'
    )


def main() -> int:
    ICONS.mkdir(parents=True, exist_ok=True)
    (ICONS / "icon.svg").write_text(svg(), encoding="utf-8")
    for name, size, maskable in (
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("icon-maskable-512.png", 512, True),
    ):
        (ICONS / name).write_bytes(png(size, render(size, maskable=maskable)))
        print(f"wrote {ICONS / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
