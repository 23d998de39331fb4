"""A small calendar-year plan and its extracts for 2024 Q1 to 2025 Q3, for tests of `csp run` that
stop short of the pipeline (test_cli, test_runlog), and a kernel that is never started."""

from __future__ import annotations

from pathlib import Path

CALENDAR_PLAN = """\
plan: {name}
year_start: january
years: ["2024", "2025"]
wards: [Hardwick]
extracts:
  notices:
    file: notices.csv
    id: ref
    date: issued
    columns:
      ref: {{header: Ref, type: id}}
      issued: {{header: Date Issued, type: date}}
themes:
  - theme: T
    measures:
      - id: "1.1"
        title: Reduce notices
        direction: reduce
        target: baseline
        metric: {{kind: count, sources: [notices]}}
"""


def write_calendar_plan(folder: Path, name: str) -> Path:
    """`<folder>/<name>.yml`, and empty notices extracts for 2024 Q1 to 2025 Q3 in `<folder>/raw`."""
    path = folder / f"{name}.yml"
    path.write_text(CALENDAR_PLAN.format(name=name), encoding="utf-8")
    for year, quarters in (("2024", (1, 2, 3, 4)), ("2025", (1, 2, 3))):
        for quarter in quarters:
            extracts = folder / "raw" / year / f"Q{quarter}"
            extracts.mkdir(parents=True)
            (extracts / "notices.csv").write_text("Ref,Date Issued\n", encoding="utf-8")
    return path


class NoKernel:
    """Stands in for `csp.run.kernel.WarmKernel` where the pipeline is stubbed: no kernel started."""

    def __init__(self, *args: object) -> None: ...

    def __enter__(self) -> NoKernel:
        return self

    def __exit__(self, *exc: object) -> None: ...
