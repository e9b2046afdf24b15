"""One error base class. Each subclass carries an exit code and a one-line message for people.

The CLI turns these into exits (cli.main) and the web app will turn them into 4xx pages.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """How a command ends (what ``$?`` says)."""

    OK = 0
    #: Refused or failed: bad input, a conflict, a storage problem, a check that says "not today".
    REFUSED = 1
    #: The command line itself is wrong (unknown option, missing argument).
    USAGE = 2
    #: Ctrl-C (128 + SIGINT).
    INTERRUPTED = 130
    #: Stopped by SIGTERM (128 + SIGTERM).
    TERMINATED = 143

    @classmethod
    def signalled(cls, signum: int) -> int:
        """The shell's code for a process ended by signal ``signum``: 128 + its number."""
        return 128 + int(signum)


class RollminderError(Exception):
    """Base of every error a person may see. ``str(err)`` is the one-line message."""

    exit_code: int = ExitCode.REFUSED

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

    exit_code = ExitCode.USAGE


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
