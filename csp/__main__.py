"""`python -m csp ...` is the same as the `csp` command."""

import sys

from csp.cli import main

sys.exit(main())
