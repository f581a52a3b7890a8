"""``seqmine`` command group: every command module registers here; errors render without
tracebacks (exit 2 for bad input, 3 for a budget stop, 130 for Ctrl-C)."""

from __future__ import annotations

import click

from seqmine.cli.errors import friendly_errors  # noqa: F401  (re-export)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="seqmine")
def cli() -> None:
    """seqmine: sequential pattern mining and next-item ranking on event logs."""


def _register() -> None:
    from seqmine.cli import (
        data_commands,
        hybrid_commands,
        itemset_commands,
        mining_commands,
        neural_commands,
        rule_commands,
    )
    for module in (data_commands, mining_commands, itemset_commands, rule_commands,
                   neural_commands, hybrid_commands):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:
    cli()
