"""The report's HTML templates: one Jinja2 environment, autoescaping every string from a plan, an
extract or the analyst, so a street called `<script>` is shown, never run."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import jinja2

from csp import config


def bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept in the user's cache folder between runs: compiling nbconvert's and
    the report's templates anew cost 0.2 to 0.4 s of every run. Jinja checks each entry against
    its template's source, so an edited template is compiled again; no folder we can write, no
    cache."""
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = root / "csp" / f"jinja-py{sys.version_info[0]}{sys.version_info[1]}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder)) if os.access(folder, os.W_OK) else None


TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(config.REPORT_TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    bytecode_cache=bytecode_cache(),
)
