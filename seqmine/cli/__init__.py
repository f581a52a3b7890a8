"""Command-line interface (``seqmine ...``). Nothing in the package imports it."""
