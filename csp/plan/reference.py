"""The plan reference: every key a plan file may hold, with its type, default and meaning, written from
the schema itself (its models, and the docstring under each of their fields) and from each kind's and
each source's own options. The documentation's plan reference page is made from it at every build,
so a key added to the schema is in the reference, and a key without its sentence fails a test.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import textwrap
import types
import typing
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from csp.domain.periods import PlanYear
from csp.domain.records import Condition
from csp.kinds import KINDS
from csp.plan import schema
from csp.sources import SOURCES

# Each entry of the file under the name an analyst finds it by, in the order the reference gives them.
SECTIONS: dict[type[BaseModel], str] = {
    schema.PlanFile: "The plan file",
    schema.ExtractEntry: "extracts.NAME",
    schema.ColumnEntry: "extracts.NAME.columns.NAME",
    schema.CompletenessEntry: "extracts.NAME.completeness",
    schema.ThemeEntry: "themes[]",
    schema.MeasureEntry: "themes[].measures[]",
    schema.MetricEntry: "measure.metric (and each context figure)",
    schema.ConditionRule: "metric.where: a rule",
    schema.TopEntry: "metric.top",
    schema.BreakdownEntry: "metric.breakdown",
    schema.TargetEntry: "measure.target",
    schema.AnnualBaseline: "measure.baseline: an annual figure",
}
WORDS = {str: "text", int: "whole number", float: "number", bool: "true or false", Any: "any value"}
WORDS |= {PlanYear: "year (`2011-12`, or `2025` where `year_start: january`)"}
WORDS |= {Condition: "filter (as in `where`)"}


def field_docs(model: type[BaseModel]) -> dict[str, str]:
    """The docstring under each field of a model (and of the models it extends), one line each."""
    docs: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or cls is BaseModel:
            continue
        body = ast.parse(textwrap.dedent(inspect.getsource(cls))).body[0].body
        for field, after in itertools.pairwise(body):
            if (
                isinstance(field, ast.AnnAssign)
                and isinstance(field.target, ast.Name)
                and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
            ):
                docs[field.target.id] = " ".join(str(after.value.value).split())
    return docs


def type_words(annotation: Any) -> str:
    """A field's type as an analyst reads it."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_words(args[0])
    if origin in (typing.Union, types.UnionType):
        shown = [type_words(arg) for arg in args if arg is not type(None)]
        return " or ".join(shown)
    if origin is Literal:
        return "one of " + ", ".join(f"`{value}`" for value in args)
    if origin is tuple:
        return f"a list of {type_words(args[0])} (or one)"
    if origin is dict:
        return f"a mapping of {type_words(args[0])} to {type_words(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in SECTIONS:
            return f"a mapping ({_link(annotation)})"
        docs = field_docs(annotation)
        keys = [f"`{name}` ({docs.get(name, '').rstrip('.')})" for name in annotation.model_fields]
        return "a mapping of " + "; ".join(keys)
    return WORDS.get(annotation, getattr(annotation, "__name__", str(annotation)))


def default_words(default: Any) -> str:
    if default is PydanticUndefined:
        return "required"
    if default in ({}, (), "", None):
        return "none"
    if isinstance(default, BaseModel):
        return "as below"
    return f"`{str(default).lower() if isinstance(default, bool) else default}`"


def key_table(model: type[BaseModel], skip: frozenset[str] = frozenset()) -> Iterator[str]:
    """A model's keys as a markdown table: key, type, default, meaning."""
    docs = field_docs(model)
    yield "| key | type | default | meaning |"
    yield "| --- | --- | --- | --- |"
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        key = info.alias or name
        meaning = docs.get(name, "").replace("|", "\\|")
        yield f"| `{key}` | {type_words(info.annotation)} | {default_words(info.default)} | {meaning} |"


def _link(model: type[BaseModel]) -> str:
    title = SECTIONS[model]
    anchor = "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-")
    return f"[{title}](#{'-'.join(part for part in anchor.split('-') if part)})"


def undocumented() -> list[str]:
    """Keys the reference would give without their sentence: each must have one."""
    models = [
        *SECTIONS,
        *(KINDS.get(name).Options for name in KINDS),
        *(SOURCES.get(name).options_model for name in SOURCES),
    ]
    models += [nested for model in models for nested in _nested(model)]
    return [
        f"{model.__name__}.{name}"
        for model in models
        for name in model.model_fields
        if not field_docs(model).get(name)
    ]


def models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models a field's type holds, however deep (`dict[str, ColumnEntry]`, a union)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in typing.get_args(annotation) for model in models_in(arg)]


def _nested(model: type[BaseModel]) -> list[type[BaseModel]]:
    """The models a model's fields hold (a rate's `population`), its sections aside."""
    return [
        nested
        for info in model.model_fields.values()
        for nested in models_in(info.annotation)
        if nested not in SECTIONS
    ]


def _doc(cls: type) -> str:
    """A class's own docstring, on one line (not one it inherits)."""
    return " ".join((cls.__dict__.get("__doc__") or "").split())


def plan_reference() -> str:
    """The reference as markdown: the file's entries, then each kind's and each source's options."""
    lines: list[str] = []
    for model, title in SECTIONS.items():
        lines += [f"## {title}", "", _doc(model), "", *key_table(model)]
        lines.append("")
    lines += ["## The kinds' own keys", ""]
    lines.append("A metric's `kind` adds its own keys beside the generic ones above.")
    for name in KINDS.names():
        kind = KINDS.get(name)
        lines += ["", f"### `kind: {name}`", "", _doc(type(kind)), ""]
        lines += (
            list(key_table(kind.Options)) if kind.Options.model_fields else ["No keys of its own."]
        )
    lines += ["", "## The sources' options", "", "An extract's `options`, by its `source`."]
    for name in SOURCES.names():
        source = SOURCES.get(name)
        lines += [
            "",
            f"### `source: {name}`",
            "",
            " ".join((type(source).__doc__ or "").split()),
            "",
        ]
        lines += list(key_table(source.options_model))
    return "\n".join(lines) + "\n"
