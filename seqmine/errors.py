"""Exceptions raised by seqmine.

Every error a user can cause derives from :class:`SeqmineError`, so a caller (and the CLI)
can catch one type and show its message without a traceback.
"""

from __future__ import annotations

from typing import Any


class SeqmineError(Exception):
    """Base class of every error seqmine raises on purpose."""


class InputError(SeqmineError, ValueError):
    """Bad user input: a missing column, null ids, a wrong type, an unreadable file, a bad option."""


class FormatVersionError(SeqmineError):
    """A saved file was written by an incompatible format version."""


class BudgetExceededError(SeqmineError):
    """A mining run hit its pattern or memory budget.

    ``partial`` holds what was found before the stop (a PatternSet) when the caller asked for it,
    else None.
    """

    def __init__(self, message: str, partial: Any = None) -> None:
        super().__init__(message)
        self.partial = partial


class MiningInterrupted(SeqmineError):
    """The run was interrupted (Ctrl-C); ``partial`` holds what was found so far."""

    def __init__(self, message: str, partial: Any = None) -> None:
        super().__init__(message)
        self.partial = partial
