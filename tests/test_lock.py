"""csp.store.lock: one run of a quarter at a time, a dead run's lock never blocks, and what a killed run
left behind is cleared by the next run, never while its owner lives."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from csp import config
from csp.errors import RunInProgress
from csp.store import lock

LABEL = "stockton 2011-12 Q2"
REFUSED = re.compile(
    r"a run of stockton 2011-12 Q2 is in progress \(pid (\d+), started (\d\d [A-Z][a-z]{2} )?\d\d:\d\d\)"
)


@pytest.fixture
def final(tmp_path: Path) -> Path:
    """A report folder with a last good report in it."""
    folder = tmp_path / "reports" / "stockton" / "2011-12" / "Q2"
    folder.mkdir(parents=True)
    (folder / "dashboard.html").write_text("last good report", encoding="utf-8")
    return folder


@pytest.fixture
def holder(final: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the quarter's lock until it is killed."""
    code = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from csp.store import lock
        with lock.hold({LABEL!r}, Path({str(final)!r})):
            print("held", flush=True)
            time.sleep(120)
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(config.PROJECT_ROOT)},
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    yield process
    process.kill()
    process.wait()


def test_a_second_run_is_refused_naming_the_first(final: Path) -> None:
    with lock.hold(LABEL, final), pytest.raises(RunInProgress) as refused, lock.hold(LABEL, final):
        pass
    match = REFUSED.fullmatch(str(refused.value))
    assert match, str(refused.value)
    assert int(match.group(1)) == os.getpid()


def test_the_holder_writes_its_pid_and_removes_the_file_when_done(final: Path) -> None:
    with lock.hold(LABEL, final):
        record = json.loads(lock.lock_file(final).read_text(encoding="utf-8"))
        assert record["pid"] == os.getpid() and record["started"]
    assert not lock.lock_file(final).exists()
    with lock.hold(LABEL, final):  # free again
        pass


def test_other_quarters_are_not_blocked(final: Path) -> None:
    with lock.hold(LABEL, final), lock.hold("stockton 2011-12 Q1", final.with_name("Q1")):
        pass


def test_a_run_in_another_process_is_refused_until_it_is_killed(
    final: Path, holder: subprocess.Popen[str]
) -> None:
    with pytest.raises(RunInProgress) as refused, lock.hold(LABEL, final):
        pass
    match = REFUSED.fullmatch(str(refused.value))
    assert match and int(match.group(1)) == holder.pid
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert lock.lock_file(final).exists()  # left by the dead run, with its pid in it
    with lock.hold(LABEL, final):  # the operating system released its lock: taken over
        record = json.loads(lock.lock_file(final).read_text(encoding="utf-8"))
        assert record["pid"] == os.getpid()


def test_a_lock_file_naming_a_dead_pid_does_not_block(final: Path) -> None:
    lock.lock_file(final).write_text('{"pid": 999999999, "started": "2011-10-05T09:30:00"}')
    with lock.hold(LABEL, final):
        pass


def leftovers_of_a_killed_run(final: Path) -> list[Path]:
    staging = lock.staging_dir(final, "dead0001")
    aside = lock.aside_dir(final, "dead0002")
    for folder in (staging, aside):
        (folder / "clean").mkdir(parents=True)
        (folder / "clean" / "people.parquet").write_bytes(b"person ids")
    return [staging, aside]


def test_the_next_run_removes_what_a_killed_run_left(final: Path) -> None:
    left = leftovers_of_a_killed_run(final)
    with lock.hold(LABEL, final):
        assert not any(folder.exists() for folder in left)
    assert (final / "dashboard.html").read_text(encoding="utf-8") == "last good report"
    assert sorted(p.name for p in final.parent.iterdir()) == ["Q2"]


def test_a_run_killed_mid_swap_gets_the_last_report_back(final: Path) -> None:
    _, aside = leftovers_of_a_killed_run(final)
    final.rename(aside.with_name(".Q2.old-dead0003"))  # the swap's first rename, not its second
    lock.remove_leftovers(final)
    assert (final / "dashboard.html").read_text(encoding="utf-8") == "last good report"
    assert sorted(p.name for p in final.parent.iterdir()) == ["Q2"]


def test_a_live_runs_staging_folders_are_left_alone(
    final: Path, holder: subprocess.Popen[str]
) -> None:
    staging, aside = leftovers_of_a_killed_run(final)
    with pytest.raises(RunInProgress), lock.hold(LABEL, final):
        pass
    lock.tidy(LABEL, final)
    assert staging.exists() and aside.exists()
    holder.kill()
    holder.wait()
    lock.tidy(LABEL, final)
    assert not staging.exists() and not aside.exists()
