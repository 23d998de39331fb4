"""MkDocs hooks: the plan reference page is written from csp's schema at every build, so it cannot
fall behind the plan files csp reads (`csp.plan.reference`)."""

from __future__ import annotations

from typing import Any

from csp.plan.reference import plan_reference

PLACEHOLDER = "<!-- plan-reference -->"


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    if PLACEHOLDER not in markdown:
        return markdown
    return markdown.replace(PLACEHOLDER, plan_reference())
