"""A plan's problems as the analyst reads them: where the problem is, named from its position in the
file (pydantic's `loc`: `themes[0].measures[2].metric.kind` reads `measure 5.1.metric.kind`), and
pydantic's error worded in plain words."""

from __future__ import annotations

import re
from typing import Any

from pydantic_core import ErrorDetails

from csp.plan.schema import TAGS, Loc

_WHY_REQUIRED = {
    "sources": ": the extracts this figure is counted from",
    "top.by": ": the column(s) to rank",
}


def entry_name(loc: Loc, data: Any) -> str:
    """Where a problem is, as the analyst finds it: `measure 5.1.metric.kind`, `extracts.crime`.

    A measure is named by its number once it has one; list positions are left out below that (the
    list is the entry), as are the tags of entries that take more than one form."""
    loc = tuple(part for part in loc if part not in TAGS)
    head, rest = "", loc
    if len(loc) >= 4 and loc[0] == "themes" and loc[2] == "measures":
        head, rest = _measure_name(data, loc[1], loc[3]), loc[4:]
    elif len(loc) >= 2 and loc[0] == "themes":
        head, rest = _theme_name(data, loc[1]), loc[2:]
    names = [head] if head else []
    names += [str(part) for part in rest if not isinstance(part, int)]
    return ".".join(names) or "plan"


def _theme_name(data: Any, index: Any) -> str:
    name = _named(data, ("themes", index, "theme"))
    return f"themes[{index}]" if name is None else f"theme {name}"


def _measure_name(data: Any, theme: Any, index: Any) -> str:
    measure_id = _named(data, ("themes", theme, "measures", index, "id"))
    if measure_id is None:
        return f"{_theme_name(data, theme)}.measures[{index}]"
    return f"measure {measure_id}"


def _named(data: Any, loc: Loc) -> str | None:
    """The name (theme) or number (measure) the plan gives the entry at `loc`, if it has one."""
    try:
        for part in loc:
            data = data[part]
    except (KeyError, IndexError, TypeError):
        return None
    return None if data is None or data == "" or isinstance(data, dict | list) else str(data)


def wording(error: ErrorDetails) -> tuple[Loc, str]:
    """Our wording of one pydantic error, and the position of the entry it is about."""
    kind, value = error["type"], error.get("input")
    loc = tuple(part for part in error["loc"] if part not in TAGS)
    key = str(loc[-1]) if loc else "plan"
    if kind == "plan":
        return loc, str(error.get("ctx", {}).get("problem", error["msg"]))
    if kind == "missing" or (kind == "too_short" and not value):
        why = _WHY_REQUIRED.get(".".join(map(str, loc[-2:]))) or _WHY_REQUIRED.get(key, "")
        return loc[:-1], f"'{key}' is required{why}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return loc, f"expected a mapping, found {type(value).__name__}"
    if kind in ("tuple_type", "list_type"):
        return loc, f"expected a list, found {type(value).__name__}"
    if kind == "literal_error":
        choices = ", ".join(re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected"))))
        return loc, f"unknown {key} '{value}' (expected one of: {choices})"
    if kind.startswith("int_"):
        return loc, f"'{value}' is not a whole number"
    if kind.startswith("float_"):
        return loc, f"'{value}' is not a number"
    if kind.startswith("bool_"):
        return loc, f"'{value}' is not true or false"
    return loc, f"{error['msg']} (found {value!r})"
