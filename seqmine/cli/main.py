"""``seqmine`` command group: every command module registers here; errors render without
tracebacks (exit 2 for bad input, 3 for a budget stop, 130 for Ctrl-C)."""

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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="seqmine")
def cli() -> None:
    """seqmine: sequential pattern mining and next-item ranking on event logs."""


def _register() -> None:
    from seqmine.cli import data_commands, itemset_commands, mining_commands
    for module in (data_commands, mining_commands, itemset_commands):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:
    cli()
