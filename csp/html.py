"""The report's HTML templates: one Jinja2 environment, autoescaping every string from a plan, an
extract or the analyst, so a street called `<script>` is shown, never run."""

from __future__ import annotations

import jinja2

from csp import config

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(config.TEMPLATES_DIR / "report"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
