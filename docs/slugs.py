"""MkDocs hook: headings' anchors made as the plan reference makes its links (`csp.plan.reference`):
lower case, every run of characters that is not a letter or digit one `-`. `extracts.NAME` is
`#extracts-name`, where Python-Markdown's own slugify would drop the dot (`#extractsname`)."""

from __future__ import annotations

import re
from typing import Any


def slug(value: str, separator: str = "-") -> str:
    """`measure.metric (and each context figure)` -> `measure-metric-and-each-context-figure`."""
    words = re.split(r"[^0-9a-z]+", value.lower()) if value.isascii() else _words(value)
    return separator.join(word for word in words if word)


def _words(value: str) -> list[str]:
    return "".join(c if c.isalnum() else " " for c in value.lower()).split()


def on_config(config: Any, **_: Any) -> Any:
    config["mdx_configs"].setdefault("toc", {})["slugify"] = slug
    return config
