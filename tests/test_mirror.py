"""Extracts at a URL (`csp.inputs.mirror`): copied to a local folder before a run, only what changed; a
worker of many plans copies them before it runs its plan. A `file://` URL stands for a store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from csp.errors import RunError
from csp.inputs import mirror
from csp.many import cluster
from csp.many.batch import BatchRequest, PlanOutcome


@pytest.fixture
def store(tmp_path: Path) -> Path:
    folder = tmp_path / "store" / "police-uk"
    (folder / "2025-01").mkdir(parents=True)
    (folder / "2025-01" / "2025-01-cleveland-street.csv").write_text("a\n", encoding="utf-8")
    (folder / "2025-02").mkdir()
    (folder / "2025-02" / "2025-02-cleveland-street.csv").write_text("b\n", encoding="utf-8")
    return folder


def files(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*.csv"))
    }


def test_the_files_at_a_url_are_copied_then_kept_up_to_date(store: Path, tmp_path: Path) -> None:
    url = f"file://{store}"
    copy = mirror.local_copy(url, tmp_path / "mirrors")
    assert files(copy) == files(store)
    january = copy / "2025-01" / "2025-01-cleveland-street.csv"
    copied = january.stat().st_ino
    (store / "2025-02" / "2025-02-cleveland-street.csv").write_text("b, again\n", encoding="utf-8")
    os.utime(store / "2025-01" / "2025-01-cleveland-street.csv", (1, 1))
    (store / "2025-02" / "extra.csv").write_text("c\n", encoding="utf-8")
    assert mirror.local_copy(url, tmp_path / "mirrors") == copy
    assert files(copy) == files(store)
    (store / "2025-02" / "extra.csv").unlink()
    mirror.local_copy(url, tmp_path / "mirrors")
    assert files(copy) == files(store)
    assert january.stat().st_ino != copied  # its time changed: copied again
    unchanged = (copy / "2025-02" / "2025-02-cleveland-street.csv").stat().st_ino
    mirror.local_copy(url, tmp_path / "mirrors")
    assert (copy / "2025-02" / "2025-02-cleveland-street.csv").stat().st_ino == unchanged


def test_a_url_with_nothing_there_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunError, match="no extracts at file://"):
        mirror.local_copy(f"file://{tmp_path / 'empty'}", tmp_path / "mirrors")


def test_a_worker_runs_its_plan_on_the_copy(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSP_MIRROR_DIR", str(tmp_path / "mirrors"))
    given: list[str | None] = []

    def run(plan: str, request: BatchRequest) -> PlanOutcome:
        given.append(request.raw_dir)
        return PlanOutcome("x", "2025", 2, "ran", 0.0)

    monkeypatch.setattr(cluster, "answered_without_running", lambda plan, request: None)
    monkeypatch.setattr(cluster, "_run", run)
    request = BatchRequest(("x",), "2025", 2, f"file://{store}", True, tmp_path, tmp_path)
    assert cluster.run_plan("x", request).outcome == "ran"
    assert files(Path(given[0])) == files(store)
    assert Path(given[0]).is_relative_to(tmp_path / "mirrors")
