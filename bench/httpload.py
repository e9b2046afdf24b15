"""The web benches' clients (bench/web.py, bench/hosted.py): keep-alive GETs to a loopback
server, one client after another or many at once, each request timed as the client sees it."""

from __future__ import annotations

import contextlib
import http.client
import threading
import time
from collections.abc import Sequence


def request(
    conn: http.client.HTTPConnection, method: str, path: str, cookie: str = "", body: str = ""
) -> tuple[int, bytes, str]:
    """Status, body and the ``name=value`` of the session cookie set (or "")."""
    headers = {"Connection": "keep-alive"}
    if cookie:
        headers["Cookie"] = cookie
    if body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body or None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    set_cookie = response.getheader("set-cookie") or ""
    return response.status, data, set_cookie.split(";", 1)[0]


def get(conn: http.client.HTTPConnection, path: str, cookie: str = "") -> bytes:
    """The body of ``GET path``; anything but a 200 raises."""
    status, data, _ = request(conn, "GET", path, cookie)
    if status != 200:
        raise RuntimeError(f"GET {path}: HTTP {status}")
    return data


def sequential(
    port: int, path: str, count: int, warmup: int, cookie: str = ""
) -> tuple[list[float], int]:
    """``count`` GETs one after another on one connection (after ``warmup`` untimed): the
    seconds each took, and the last body's size."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times: list[float] = []
    size = 0
    try:
        for _ in range(warmup):
            get(conn, path, cookie)
        for _ in range(count):
            start = time.perf_counter()
            size = len(get(conn, path, cookie))
            times.append(time.perf_counter() - start)
    finally:
        conn.close()
    return times, size


def concurrent(
    ports: Sequence[int],
    path: str,
    clients: int,
    per_client: int,
    errors: list[str],
    cookies: Sequence[str] = ("",),
) -> tuple[list[float], float]:
    """``clients`` keep-alive connections at once, spread evenly over ``ports``, client ``k``
    with ``cookies[k % len(cookies)]``, each connected and warmed up before the clock starts:
    every request's seconds, and the wall time of them all. A client's failure is appended to
    ``errors`` (the others finish)."""
    barrier = threading.Barrier(clients + 1)
    results: list[list[float]] = [[] for _ in range(clients)]

    def client(slot: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", ports[slot % len(ports)], timeout=120)
        cookie = cookies[slot % len(cookies)]
        try:
            get(conn, path, cookie)
            barrier.wait()
            for _ in range(per_client):
                start = time.perf_counter()
                get(conn, path, cookie)
                results[slot].append(time.perf_counter() - start)
        except Exception as exc:  # reported, not raised: the other clients finish
            errors.append(f"{path}: {type(exc).__name__}: {str(exc)[:120]}")
            barrier.abort()
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return [t for r in results for t in r], time.perf_counter() - start
