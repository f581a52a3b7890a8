"""Error rendering shared by every command: seqmine errors and Ctrl-C become one-line
messages with documented exit codes (2 bad input, 3 budget stop, 130 interrupted)."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from seqmine.errors import BudgetExceededError, MiningInterrupted, SeqmineError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_INPUT = 2
EXIT_BUDGET = 3
EXIT_INTERRUPTED = 130


def friendly_errors(func: F) -> F:
    """Turn seqmine errors and Ctrl-C into one-line messages and documented exit codes."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BudgetExceededError as exc:
            click.echo(f"seqmine: stopped: {exc}", err=True)
            sys.exit(EXIT_BUDGET)
        except (KeyboardInterrupt, MiningInterrupted):
            click.echo("seqmine: interrupted; no output was written", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except SeqmineError as exc:
            click.echo(f"seqmine: error: {exc}", err=True)
            sys.exit(EXIT_INPUT)

    return wrapper  # type: ignore[return-value]
