"""``python -m seqmine`` runs the command-line interface."""

from seqmine.cli.main import main

main()
