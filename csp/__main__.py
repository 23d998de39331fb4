"""`python -m csp ...` is the same as the `csp` command."""

from csp.cli import entry

entry()
