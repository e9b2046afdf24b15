"""The web settings page's restore keeps the current links (issue 18, item 14): a calendar feed
and Done/Snooze links rotated after the backup stay dead once it is restored."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from rollminder.env import Env
from rollminder.web import security
from rollminder.web.app import create_app
from tests.test_backup_secrets import _secrets
from tests.web.common import BASE


@pytest.fixture
def client(env: Env) -> Iterator[TestClient]:
    with TestClient(create_app(env, start_reminders=False), base_url=BASE) as c:
        c.headers["X-CSRF-Token"] = re.findall(r'"X-CSRF-Token": "([^"]+)"', c.get("/").text)[0]
        yield c


def test_web_restore_keeps_rotated_links_dead(client: TestClient, env: Env) -> None:
    client.get("/settings")  # makes the feed and action links
    old_feed = _secrets(env.home)[security.FEED_TOKEN]
    old_action = _secrets(env.home)[security.ACTION_TOKEN]
    assert old_feed and old_action
    assert client.get(f"/feed/{old_feed}.ics").status_code == 200
    made = client.post("/settings/backup")
    name = re.search(r"rollminder-manual-\d{8}T\d{6}\.db", made.text)
    assert name
    assert client.post("/settings/rotate/feed").status_code == 200
    assert client.post("/settings/rotate/actions").status_code == 200
    new = _secrets(env.home)
    assert client.get(f"/feed/{old_feed}.ics").status_code == 404
    restored = client.post("/settings/restore", data={"name": name.group(0), "confirm": "yes"})
    assert restored.status_code == 200 and f"Restored {name.group(0)}." in restored.text
    assert _secrets(env.home) == new
    assert client.get(f"/feed/{old_feed}.ics").status_code == 404
    assert client.get(f"/act/{old_action}/done").status_code == 404
    assert client.get(f"/feed/{new[security.FEED_TOKEN]}.ics").status_code == 200
