"""The plan reference is written from the schema: every key has its sentence, and every key, kind
and source is in it, so the documentation cannot fall behind the plan files csp reads."""

from __future__ import annotations

from csp.kinds import KINDS
from csp.plan import reference, schema
from csp.sources import SOURCES


def test_every_key_of_the_schema_says_what_it_means() -> None:
    assert reference.undocumented() == []


def test_every_entry_of_the_plan_file_has_its_section() -> None:
    """A model the schema nests (a new entry) is given its place in the reference."""
    reachable, queue = set(), [schema.PlanFile]
    while queue:
        model = queue.pop()
        if model in reachable:
            continue
        reachable.add(model)
        for info in model.model_fields.values():
            queue += [
                part
                for part in reference.models_in(info.annotation)
                if issubclass(part, schema.Entry)
            ]
    assert reachable <= set(reference.SECTIONS)


def test_every_key_kind_and_source_is_in_the_reference() -> None:
    text = reference.plan_reference()
    for model in reference.SECTIONS:
        for name, info in model.model_fields.items():
            assert f"| `{info.alias or name}` |" in text, f"{model.__name__}.{name}"
    for name in KINDS:
        assert f"### `kind: {name}`" in text
        for key in KINDS.get(name).Options.model_fields:
            assert f"| `{key}` |" in text
    for name in SOURCES:
        assert f"### `source: {name}`" in text


def test_types_and_defaults_read_as_an_analyst_reads_them() -> None:
    text = reference.plan_reference()
    assert "| `year_start` | one of `april`, `january` | `april` |" in text
    assert "| `plan` | text | required |" in text
    assert "| `snapshot` | true or false | `false` |" in text
    assert "| `min_records` | whole number | `1` |" in text
