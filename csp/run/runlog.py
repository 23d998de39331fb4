"""reports/runs.csv: one row for every attempt of `csp run`, whatever came of it.

A scheduled run nobody watches leaves its story here: when it started (UTC), the plan, year and
quarter, the outcome, its wall seconds and a one-line detail (the dashboard, the reason for a
refusal, the error). Several processes may append at once (the scheduled run of several plans, a
hand run beside it), so each row is one `write` under an exclusive `flock` of the file, and the
header is written by whoever finds the file empty. Text cells are neutralised as for the readers'
statuses.csv (`csp.spreadsheet`), since the log is opened in spreadsheets too.

Writing the log never changes what a run did or says: a log that cannot be written is a warning on
stderr, and the run's own exit code and error stand. Light on imports (no pandas): the up-to-date
answer and the refusals are logged before the engine is loaded.
"""

from __future__ import annotations

import csv
import datetime as dt
import fcntl
import io
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from csp import config
from csp.errors import CspError, RunInProgress
from csp.spreadsheet import neutralised

RUNS_CSV = "runs.csv"
COLUMNS = ("time", "plan", "year", "quarter", "outcome", "seconds", "detail")
RAN, UP_TO_DATE, FAILED, REFUSED, LOCKED = "ran", "up_to_date", "failed", "refused", "locked"
# The outcome vocabulary, as the README explains it.
OUTCOMES = {
    RAN: "the quarter was run; its report replaced the last one",
    UP_TO_DATE: "plan, code and extracts unchanged since the last report: nothing to do",
    REFUSED: "nothing was run: a bad plan or parameter, or no quarter with all its months yet",
    LOCKED: "another run of the same quarter was in progress",
    FAILED: "the run started and failed; the last good report is unchanged",
}
DETAIL_LIMIT = 500  # characters: a row stays one readable line


def runs_csv(reports_root: Path | None = None) -> Path:
    return (reports_root or config.REPORTS_DIR) / RUNS_CSV


def record(
    plan: str,
    year: str,
    quarter: int | str,
    outcome: str,
    seconds: float,
    detail: str = "",
    reports_root: Path | None = None,
) -> None:
    """Append one attempt, which started `seconds` ago, to reports/runs.csv."""
    if outcome not in OUTCOMES:
        raise ValueError(
            f"unknown run outcome {outcome!r} (expected one of: {', '.join(OUTCOMES)})"
        )
    started = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds)
    cells = [
        started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        plan,
        year,
        str(quarter),
        outcome,
        f"{seconds:.1f}",
        one_line(detail),
    ]
    append_row(runs_csv(reports_root), cells)


def one_line(text: str) -> str:
    """Whitespace (newlines included) folded to single spaces, and at most DETAIL_LIMIT long."""
    folded = " ".join(text.split())
    return folded if len(folded) <= DETAIL_LIMIT else folded[: DETAIL_LIMIT - 1] + "…"


def csv_line(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([neutralised(cell) for cell in cells])
    return out.getvalue()


def append_row(path: Path, cells: list[str]) -> None:
    """One write under the file's lock: the header first if the file is empty, and a newline first
    if a writer that died (a full disk) left its row unfinished."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        size = os.fstat(descriptor).st_size
        text = csv_line(cells)
        if size == 0:
            text = csv_line(list(COLUMNS)) + text
        elif os.pread(descriptor, 1, size - 1) != b"\n":
            text = "\n" + text
        os.write(descriptor, text.encode("utf-8"))
    finally:
        os.close(descriptor)  # and with it the lock


@dataclass
class Attempt:
    """What one attempt has learnt so far; the caller fills it in as the run goes."""

    plan: str
    year: str = ""
    quarter: int | str = ""
    outcome: str = RAN
    detail: str = ""
    working: bool = False  # the run proper has started: an error now is a failure, not a refusal


def outcome_of(error: BaseException, working: bool) -> str:
    """Another run holding the quarter is `locked`; csp's own error before the run proper starts
    is a `refused` request; anything else (an interrupt, a failed step, a bug) is `failed`."""
    if isinstance(error, RunInProgress):
        return LOCKED
    if isinstance(error, CspError) and not working:
        return REFUSED
    return FAILED


def describe(error: BaseException) -> str:
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    if isinstance(error, CspError):
        return str(error)
    return f"{type(error).__name__}: {error}"


@contextmanager
def attempt(
    plan: str, year: str = "", quarter: int | str = "", reports_root: Path | None = None
) -> Iterator[Attempt]:
    """Log the attempt in the block when it ends, with its wall seconds: `ran` unless the block
    says otherwise (`entry.outcome = UP_TO_DATE`), or the outcome of the error it raises, which
    goes on unchanged."""
    started = time.monotonic()
    entry = Attempt(plan, year, quarter)
    try:
        yield entry
    except BaseException as error:
        entry.outcome, entry.detail = outcome_of(error, entry.working), describe(error)
        raise
    finally:
        record_quietly(entry, time.monotonic() - started, reports_root)


def record_quietly(entry: Attempt, seconds: float, reports_root: Path | None = None) -> None:
    """Record the attempt; if the log cannot be written, say so on stderr and nothing more."""
    try:
        record(
            entry.plan,
            str(entry.year),
            entry.quarter,
            entry.outcome,
            seconds,
            entry.detail,
            reports_root,
        )
    except Exception as exc:  # whatever it is, the run's own outcome must reach the caller
        path = config.shown(runs_csv(reports_root))
        print(f"csp: warning: the run log {path} was not written: {exc}", file=sys.stderr)
