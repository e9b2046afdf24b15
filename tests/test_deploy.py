"""deploy/ (issue #15, operating it): the systemd units pass `systemd-analyze verify` (with the
venv's rollminder in place of /opt/rollminder/venv/bin/rollminder), the Caddyfile passes
`caddy validate`, and Caddy run from that very Caddyfile on a loopback port, in front of two
serve processes started with the unit's own command line, signs a person in to their account
(e-mail and password), spreads the requests over both, and hands them the address that really
connected (a forged X-Forwarded-For is not believed: the accounts' rate limit counts the real
one)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx

from tests.need import missing
from tests.pg import Cluster
from tests.serve_many import (
    EMAIL,
    PASSWORD,
    ROLLMINDER,
    free_ports,
    limit_hits,
    new_account,
    serving,
    sign_in_form,
    wait_listening,
)

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
UNITS = ("rollminder-serve@.service", "rollminder-migrate.service", "rollminder-remind.service",
         "rollminder.target")  # fmt: skip
INSTALLED = "/opt/rollminder/venv/bin/rollminder"


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        missing(f"{name} is not installed (Makefile APT_PACKAGES)")
    assert found is not None
    return found


def unit_text(name: str) -> str:
    return (DEPLOY / name).read_text()


def directives(name: str) -> dict[str, list[str]]:
    """``key: [values]`` of a unit file (continuation lines joined)."""
    found: dict[str, list[str]] = {}
    text = re.sub(r"\\\n\s*", " ", unit_text(name))
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = tool("systemd-analyze")
    for name in UNITS:
        text = unit_text(name).replace(INSTALLED, str(ROLLMINDER))
        (tmp_path / name).write_text(text)
    targets = [str(tmp_path / name.replace("@.", "@8101.")) for name in UNITS]
    done = subprocess.run(
        [analyze, "verify", "--man=no", *targets],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    ours = [line for line in done.stderr.splitlines() if "rollminder" in line]
    assert done.returncode == 0 and ours == [], done.stderr


def test_verify_would_catch_a_broken_unit(tmp_path: Path) -> None:
    """The check above is not vacuous: a missing program and a bad setting fail it."""
    analyze = tool("systemd-analyze")
    text = unit_text("rollminder-remind.service").replace("Restart=on-failure", "Restart=often")
    (tmp_path / "rollminder-remind.service").write_text(text)
    done = subprocess.run(
        [analyze, "verify", "--man=no", str(tmp_path / "rollminder-remind.service")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0 and INSTALLED in done.stderr
    assert "Failed to parse service restart" in done.stderr


def test_the_serve_unit_is_a_hardened_template_behind_the_proxy() -> None:
    serve = directives("rollminder-serve@.service")
    [command] = serve["ExecStart"]
    assert "--port %i" in command and "--host 127.0.0.1" in command
    assert "--trusted-proxy 127.0.0.1" in command and "--no-reminders" in command
    assert serve["EnvironmentFile"] == ["/etc/rollminder/rollminder.env"]
    assert "rollminder-migrate.service" in serve["Requires"][0]
    assert "rollminder-migrate.service" in serve["After"][0]
    for key, value in {
        "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
        "PrivateTmp": "yes", "PrivateDevices": "yes", "RestrictNamespaces": "yes",
        "CapabilityBoundingSet": "", "User": "rollminder", "UMask": "0077",
    }.items():  # fmt: skip
        assert serve[key] == [value], key
    migrate = directives("rollminder-migrate.service")
    assert migrate["Type"] == ["oneshot"]
    assert migrate["EnvironmentFile"] == ["/etc/rollminder/owner.env"]  # the owner's URL
    assert "db migrate --app-role" in migrate["ExecStart"][0]
    # The example env files name every variable the units use.
    app_env = (DEPLOY / "rollminder.env.example").read_text()
    for variable in re.findall(r"\$\{(\w+)\}", command):
        assert f"{variable}=" in app_env
    assert "ROLLMINDER_DATABASE_URL=postgresql://rollminder_app" in app_env


def caddy_env(home: Path, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROLLMINDER_", "CADDY_"))}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home))
    env.update(values)
    return env


def test_the_caddyfile_passes_caddy_validate(tmp_path: Path) -> None:
    caddy = tool("caddy")
    done = subprocess.run(
        [caddy, "validate", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"],
        capture_output=True, text=True, timeout=120, env=caddy_env(tmp_path),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Valid configuration" in done.stdout + done.stderr


@contextmanager
def caddy_running(home: Path, port: int, upstreams: list[int]) -> Iterator[None]:
    caddy = tool("caddy")
    env = caddy_env(
        home,
        ROLLMINDER_SITE=f"http://127.0.0.1:{port}",
        ROLLMINDER_UPSTREAMS=" ".join(f"127.0.0.1:{p}" for p in upstreams),
        CADDY_ADMIN="off",
        CADDY_BIND="127.0.0.1",
    )
    log = home / "caddy.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [caddy, "run", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"],
            env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_listening(port, proc, log)  # type: ignore[arg-type]
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def procs_env(database_url: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLLMINDER_")}
    env.update(ROLLMINDER_HOME=str(home), ROLLMINDER_DATABASE_URL=database_url)
    return env


def test_caddy_in_front_of_two_serve_processes(
    pg_migrated: str, pg_cluster: Cluster, tmp_path: Path
) -> None:
    tool("caddy")
    new_account(pg_migrated, tmp_path / "home")
    *backends, front = free_ports(3)
    public = f"http://127.0.0.1:{front}"
    [command] = directives("rollminder-serve@.service")["ExecStart"]

    def unit_command(port: int) -> list[str]:  # the unit's ExecStart, as systemd expands it
        line = command.replace(INSTALLED, str(ROLLMINDER)).replace("%i", str(port))
        return shlex.split(line.replace("${ROLLMINDER_PUBLIC_URL}", public))

    home = tmp_path / "home"
    with (
        serving(pg_migrated, home, backends, argv=unit_command) as procs,
        caddy_running(tmp_path, front, backends),
        # The person connects from 127.0.0.2: Caddy (on 127.0.0.1) forwards that address.
        httpx.Client(timeout=20, transport=httpx.HTTPTransport(local_address="127.0.0.2")) as web,
    ):
        page = web.get(f"{public}/login").text
        spoofed = web.post(
            f"{public}/login",
            data=sign_in_form(page, EMAIL, "not the password"),
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
        assert spoofed.status_code == 401
        # Caddy's X-Forwarded-For (the address that connected), not the forged one.
        assert limit_hits(pg_cluster, pg_migrated, "signin-ip", "127.0.0.2") == 1
        assert limit_hits(pg_cluster, pg_migrated, "signin-ip", "203.0.113.9") is None
        assert limit_hits(pg_cluster, pg_migrated, "signin-ip", "127.0.0.1") is None
        signed = web.post(f"{public}/login", data=sign_in_form(page, EMAIL, PASSWORD))
        assert signed.status_code == 303, signed.text[-500:]
        assert limit_hits(pg_cluster, pg_migrated, "signin-ip", "127.0.0.2") == 2
        for _ in range(4):
            page = web.get(f"{public}/")
            assert page.status_code == 200 and "Next session" in page.text
            assert page.headers["strict-transport-security"] == "max-age=31536000"
        # Each process alone answers the same signed-in person: the other one stopped (as in a
        # rolling restart), Caddy sends every request to the one left.
        for stopped in range(2):
            procs[stopped].terminate()
            procs[stopped].wait(timeout=10)
            for _ in range(3):
                page = web.get(f"{public}/")
                assert page.status_code == 200 and "Next session" in page.text, stopped
            if stopped == 0:
                with (home / "again.log").open("wb") as out:
                    procs[0] = subprocess.Popen(
                        unit_command(backends[0]), env=procs_env(pg_migrated, home),
                        stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                    )  # fmt: skip
                wait_listening(backends[0], procs[0], home / "again.log")
                time.sleep(6)  # Caddy counts it failed for 5 s (fail_duration), then back
