"""`/metrics` (issue 16): the Prometheus text format, readable from loopback or with the operator
token, a 404 to anyone else (a request a proxy forwarded, a Host that is not loopback)."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from rollminder.env import Env
from rollminder.remind.metrics import REGISTRY, Registry
from rollminder.web.app import create_app


def test_the_registry_renders_the_text_format() -> None:
    r = Registry()
    r.sent("json", 0.3)
    r.sent("json", 75.0)
    r.failure("ntfy")
    r.claim(0.004, 200)
    r.backlog = lambda: (12, 3, 4.5)
    text = r.render()
    assert 'rollminder_deliveries_total{kind="json"} 2' in text
    assert 'rollminder_delivery_failures_total{kind="ntfy"} 1' in text
    assert 'rollminder_lateness_seconds_bucket{le="0.5"} 1' in text
    assert 'rollminder_lateness_seconds_bucket{le="60"} 1' in text
    assert 'rollminder_lateness_seconds_bucket{le="+Inf"} 2' in text
    assert "rollminder_claim_batch_seconds_count 1" in text
    assert "rollminder_claimed_rows_total 200" in text
    assert "rollminder_due_backlog 12" in text and "rollminder_due_oldest_seconds 4.500" in text
    for line in text.splitlines():  # every sample line: name{labels} value
        if not line.startswith("#"):
            float(line.rsplit(" ", 1)[1])


def _client(tmp_path: Path, base: str) -> TestClient:
    app = create_app(Env(home=tmp_path / "home", database_url=None), start_reminders=False)
    return TestClient(app, base_url=base)


def test_metrics_from_loopback_or_with_the_token_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROLLMINDER_METRICS_TOKEN", "op-secret-token")
    REGISTRY.sent("json", 1.0)
    with _client(tmp_path, "http://127.0.0.1:8765") as web:
        # TestClient's client address is "testclient": not loopback; the token opens it.
        assert web.get("/metrics").status_code == 404
        ok = web.get("/metrics", headers={"Authorization": "Bearer op-secret-token"})
        assert ok.status_code == 200
        assert ok.headers["content-type"].startswith("text/plain; version=0.0.4")
        assert "rollminder_deliveries_total" in ok.text
        bad = web.get("/metrics", headers={"Authorization": "Bearer wrong"})
        assert bad.status_code == 404


@pytest.mark.parametrize(
    ("client", "host", "forwarded", "status"),
    [
        ("127.0.0.1", "127.0.0.1:8765", False, 200),
        ("::1", "localhost", False, 200),
        ("127.0.0.1", "127.0.0.1:8765", True, 404),  # through a proxy: not this machine
        ("127.0.0.1", "evil.example", False, 404),  # DNS rebinding
        ("192.168.1.9", "127.0.0.1", False, 404),
    ],
)
def test_loopback_means_client_host_and_no_proxy(
    client: str, host: str, forwarded: bool, status: int
) -> None:
    from rollminder.web.metrics import allowed

    headers = [(b"host", host.encode())]
    if forwarded:
        headers.append((b"x-forwarded-for", b"203.0.113.9"))
    scope = {"client": (client, 5555), "headers": headers}
    assert allowed(scope, None) is (status == 200)
