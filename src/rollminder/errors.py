"""One error base class. Each subclass carries an exit code and a one-line message for people.

The CLI turns these into exits (cli.main) and the web app will turn them into 4xx pages.
"""

from __future__ import annotations


class RollminderError(Exception):
    """Base of every error a person may see. ``str(err)`` is the one-line message."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        # Keep it one line, whatever the caller passed.
        super().__init__(" ".join(str(message).split()))

    @property
    def message(self) -> str:
        return str(self)


class InvalidInput(RollminderError):
    """A value given by the person (option, form field, file content) is not acceptable."""


class UsageProblem(RollminderError):
    """The command line itself is wrong (unknown option, missing argument)."""

    exit_code = 2


class PlanRefused(InvalidInput):
    """The plan breaks a rule from DOMAIN.md (rest floor, weekly target, needle length)."""


class NoHomePlan(PlanRefused):
    """1.0 mm and longer: professional only."""


class NoPlan(RollminderError):
    """The command needs a plan and none exists yet."""


class NotFound(RollminderError):
    """A row named by the person does not exist."""


class Conflict(RollminderError):
    """The change contradicts what is already stored (a duplicate session, overlapping pause)."""


class StorageError(RollminderError):
    """The database cannot be used (damaged, foreign, locked for too long, disk full)."""


class ImportFailed(RollminderError):
    """An import file is malformed or foreign. Nothing was changed."""


class Cancelled(RollminderError):
    """The person answered no to a confirmation: nothing was changed."""
