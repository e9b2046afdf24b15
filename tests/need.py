"""One rule for tests that need a program or server the project installs (Makefile APT_PACKAGES,
dev dependencies): on a developer's machine without it they skip; under CI=true they fail, because
a CI run must never pass by skipping them."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def missing(message: str) -> NoReturn:
    if in_ci():
        pytest.fail(f"{message} (CI=true: this test must run, not skip)", pytrace=False)
    pytest.skip(message)
