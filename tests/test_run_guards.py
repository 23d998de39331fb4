"""`csp run` as a scheduler or an impatient analyst meets it: runs killed with SIGKILL at several
moments, then two runs of one quarter at once. The last good report must come through each kill byte
for byte, the next run must clear what a killed one left (person IDs in staging folders), and of two
runs at once one runs while the other is refused, naming it.

The runs are real `csp run` processes on a copy of the session's report (`stockton_run`); the kill
moments are lines of the run's progress, not times."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from csp import config

# Where each kill lands: lock taken and staging made; cleaning done, measuring; notebooks done,
# exporting the dashboard and writing the report files.
KILL_MOMENTS = {
    "started": ("csp: running",),
    "measuring": ("[2/3]",),
    "exporting": ("[3/3]", "done in"),
}
LONG_NOTE = "Partner narrative pasted in full. " * 16_500  # about 550 KB
FORMULA_NOTE = '=HYPERLINK("http://example.com/figures","Click for the figures")'


@dataclass
class Guarded:
    """A quarter's folders with a last good report, and what the runs on them left and said."""

    raw: Path
    processed: Path
    reports: Path
    report_before: dict[str, str] = field(default_factory=dict)
    processed_before: dict[str, str] = field(default_factory=dict)
    after_kill: dict[str, SimpleNamespace] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "CSP_PROCESSED_DIR": str(self.processed.parents[2]),
            "CSP_REPORTS_DIR": str(self.reports.parents[2]),
            "PYTHONPATH": str(config.PROJECT_ROOT),
        }

    def start(self) -> subprocess.Popen[str]:
        """`csp run --force` of stockton 2011-12 Q2, in a process group of its own."""
        command = [sys.executable, "-m", "csp", "run", "--plan", "stockton", "--year", "2011-12"]
        command += ["--quarter", "2", "--raw-dir", str(self.raw), "--force"]
        return subprocess.Popen(
            command,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

    def leftovers(self) -> list[str]:
        return sorted(
            p.name
            for folder in (self.processed.parent, self.reports.parent)
            for p in folder.iterdir()
            if p.name.startswith(".")
        )


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def read_until(process: subprocess.Popen[str], markers: tuple[str, ...]) -> list[str]:
    """The run's output up to the line with the last marker, the markers seen in order."""
    lines: list[str] = []
    pending = list(markers)
    assert process.stdout is not None
    while pending:
        line = process.stdout.readline()
        assert line, f"the run ended before {pending[0]!r}:\n" + "".join(lines)
        lines.append(line)
        if pending[0] in line:
            pending.pop(0)
    return lines


def children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (the run's kernel lives in a session of its own)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def gone(pid: int) -> bool:
    """Exited (a zombie waiting for a reaper counts: it runs no more code)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")


def kill_at(guarded: Guarded, markers: tuple[str, ...]) -> SimpleNamespace:
    """Start a run, SIGKILL its process group at the marked line, and wait until its kernel, left
    without a parent in a session of its own, has exited too (ipykernel polls for its parent)."""
    process = guarded.start()
    output = read_until(process, markers)
    kernels = children(process.pid)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 60
    while not all(gone(kernel) for kernel in kernels):
        assert time.monotonic() < deadline, "a killed run's kernel did not exit"
        time.sleep(0.1)
    staged = [p for p in guarded.processed.parent.glob(".Q2.staging-*/**/*") if p.is_file()]
    return SimpleNamespace(output=output, leftovers=guarded.leftovers(), staged_files=len(staged))


def hostile_commentary(raw: Path) -> None:
    """Notes an analyst might paste: a whole document, and text that starts like a formula."""
    path = raw / "2011-12" / "commentary.csv"
    notes = pd.read_csv(path, dtype=str, keep_default_na=False)
    extra = pd.DataFrame(
        [
            {"measure": "5.2", "quarter": "Q2", "note": LONG_NOTE},
            {"measure": "2.1", "quarter": "Q2", "note": FORMULA_NOTE},
        ]
    )
    pd.concat([notes, extra]).to_csv(path, index=False)


@pytest.fixture(scope="module")
def guarded(
    stockton_run: SimpleNamespace, sample_raw: Path, tmp_path_factory: pytest.TempPathFactory
) -> Guarded:
    """The session's Q2 report and processed folder, copied, then three runs killed on them."""
    root = tmp_path_factory.mktemp("guards")
    folders = Guarded(
        raw=root / "raw",
        processed=root / "processed" / "stockton" / "2011-12" / "Q2",
        reports=root / "reports" / "stockton" / "2011-12" / "Q2",
    )
    shutil.copytree(sample_raw, folders.raw)
    hostile_commentary(folders.raw)
    shutil.copytree(stockton_run.processed / "Q2", folders.processed)
    shutil.copytree(stockton_run.reports / "Q2", folders.reports)
    folders.report_before = digest(folders.reports)
    folders.processed_before = digest(folders.processed)
    for moment, markers in KILL_MOMENTS.items():
        folders.after_kill[moment] = SimpleNamespace(
            **vars(kill_at(folders, markers)),
            report=digest(folders.reports),
            processed=digest(folders.processed),
        )
    return folders


@dataclass
class Pair:
    first: subprocess.Popen[str]
    first_output: str
    second: subprocess.CompletedProcess[str]
    leftovers: list[str]  # beside the quarter's folders while the first run held the lock


@pytest.fixture(scope="module")
def pair(guarded: Guarded) -> Iterator[Pair]:
    """After the kills, two runs at once: the second starts while the first holds the lock (the
    first is paused there, so the second cannot come too late to meet it)."""
    first = guarded.start()
    started = read_until(first, ("csp: running",))
    os.kill(first.pid, signal.SIGSTOP)
    try:
        leftovers = guarded.leftovers()
        command = [sys.executable, "-m", "csp", "run", "--plan", "stockton", "--year", "2011-12"]
        command += ["--quarter", "2", "--raw-dir", str(guarded.raw), "--force"]
        second = subprocess.run(
            command, env=guarded.env, capture_output=True, text=True, check=False, timeout=300
        )
    finally:
        os.kill(first.pid, signal.SIGCONT)
    rest, _ = first.communicate(timeout=600)
    yield Pair(first, "".join(started) + rest, second, leftovers)


@pytest.mark.parametrize("moment", list(KILL_MOMENTS))
def test_a_killed_run_leaves_the_last_good_report_byte_for_byte(
    guarded: Guarded, moment: str
) -> None:
    killed = guarded.after_kill[moment]
    assert killed.report == guarded.report_before
    assert killed.processed == guarded.processed_before


def test_the_next_run_removes_the_staging_folders_a_killed_run_left(
    guarded: Guarded, pair: Pair
) -> None:
    """Each killed run left its two staging folders (processed and report); the run after it found
    and removed them before making its own, so only one run's staging is ever there."""
    tokens = []
    for killed in [*guarded.after_kill.values(), SimpleNamespace(leftovers=pair.leftovers)]:
        staging = [name for name in killed.leftovers if ".staging-" in name]
        assert len(staging) == 2 and len(set(staging)) == 1, killed.leftovers
        tokens.append(staging[0])
    assert len(set(tokens)) == len(tokens)
    assert guarded.after_kill["measuring"].staged_files > 0  # cleaned extracts: person IDs
    assert guarded.leftovers() == []


def test_the_run_after_the_kills_succeeds_and_leaves_nothing_behind(
    guarded: Guarded, pair: Pair
) -> None:
    assert pair.first.returncode == 0, pair.first_output
    assert "dashboard written to" in pair.first_output
    assert "ERROR" not in pair.first_output and "Traceback" not in pair.first_output
    assert guarded.leftovers() == []
    for name in ("dashboard.html", "statuses.csv", "statuses.xlsx", "run.json", "manifest.json"):
        assert (guarded.reports / name).exists(), name
    assert digest(guarded.reports) != guarded.report_before


def test_a_second_run_at_once_is_refused_naming_the_first(pair: Pair) -> None:
    assert pair.second.returncode == 1
    assert pair.second.stdout == ""
    message = pair.second.stderr.strip()
    refused = re.fullmatch(
        r"csp: error: a run of stockton 2011-12 Q2 is in progress \(pid (\d+), started \d\d:\d\d\)",
        message,
    )
    assert refused, message
    assert int(refused.group(1)) == pair.first.pid


def test_the_report_of_two_runs_at_once_is_whole(guarded: Guarded, pair: Pair) -> None:
    html = (guarded.reports / "dashboard.html").read_text(encoding="utf-8")
    assert html.rstrip().endswith("</html>")
    assert len(html.encode("utf-8")) < 1_000_000  # a 550 KB note once made it 1.18 MB
    assert "… (shortened; the full text is in statuses.csv)" in html
    statuses = pd.read_csv(guarded.reports / "statuses.csv", dtype=str, keep_default_na=False)
    assert len(statuses) == 38
    comments = statuses.set_index(["measure_id", "quarter"])["comment"]
    assert LONG_NOTE.strip() in comments[("5.2", "Q2")]  # the full text
    assert comments[("2.1", "Q2")].startswith("'" + FORMULA_NOTE)  # text, never a formula
