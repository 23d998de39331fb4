"""Many plans at once (`csp run --plan 'cleveland-*' --jobs 2`): the four Cleveland partnerships on
a Dask LocalCluster give what single-plan runs give; the same on a scheduler and worker this test
starts; a plan failing mid-run leaves the others' reports written and the exit code non-zero.

The real Cleveland download in ../shared; plans, outputs and the kept reads in temporary folders.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import yaml
from shared_data import cleveland_partnerships, shared_path

from csp import cli, config
from csp.errors import CspError
from csp.many import batch, cluster
from csp.many import plans as many_plans
from csp.many.batch import BatchRequest, PlanOutcome, Tally
from csp.plan.quarter import QuarterRun
from csp.report import workbook
from csp.steps import clean as clean_step
from csp.steps import measure as measure_step
from csp.store.processed import RunFolder

YEAR, QUARTER = "2025", "2"  # Q1 judged against 2024; Q2 no data for want of May-Jun 2024
PLANS = [
    "cleveland-hartlepool",
    "cleveland-middlesbrough",
    "cleveland-redcar-and-cleveland",
    "cleveland-stockton-on-tees",
]
PRODUCED = re.compile(r"Produced .*? by csp")  # the one line of a dashboard that names its run


def run_command(plan: str, *extra: str, roots: Path) -> tuple[int, list[str]]:
    """`csp run` in this process, writing under `roots`; its exit code and what it printed."""
    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(printed):
        patch.setattr(config, "PROCESSED_DIR", roots / "processed")
        patch.setattr(config, "REPORTS_DIR", roots / "reports")
        code = cli.main(["run", "--plan", plan, "--year", YEAR, "--quarter", QUARTER, *extra])
    return code, printed.getvalue().splitlines()


@pytest.fixture(scope="module")
def cleveland(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """`csp init cleveland --all-areas --year-start january`, then the issue's command:
    `csp run --plan 'cleveland-*' --year 2025 --quarter 2 --jobs 2 --raw-dir ...`."""
    raw = shared_path("data", "police-uk-cleveland")
    root = tmp_path_factory.mktemp("batch")
    written = cleveland_partnerships(root / "plans" / "cleveland.yml", "january")
    pattern = str(root / "plans" / "cleveland-*")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CSP_SHARED_READS_DIR", str(root / "shared-reads"))  # the workers inherit it
        code, printed = run_command(
            pattern, "--jobs", "2", "--raw-dir", str(raw), roots=root / "many"
        )
    return SimpleNamespace(
        raw=raw, root=root, plans=[w.path for w in written], code=code, printed=printed
    )


def reader_statuses(plan: Path, raw: Path, folder: Path) -> bytes:
    """The readers' statuses.csv of a plan's quarter, made by the steps in this process."""
    run = QuarterRun.from_parameters(str(plan), YEAR, QUARTER, raw, folder / "processed")
    clean_step.run(run)
    measure_step.run(run)
    return workbook.write_statuses_csv(RunFolder(folder / "processed").statuses, folder / "s.csv")


def dashboard_text(path: Path) -> str:
    return PRODUCED.sub("Produced", path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def single_hartlepool(cleveland: SimpleNamespace) -> Path:
    """Hartlepool's quarter by the single-plan `csp run`, for its dashboard."""
    code, _ = run_command(
        str(cleveland.plans[0]), "--raw-dir", str(cleveland.raw), roots=cleveland.root / "single"
    )
    assert code == 0
    return cleveland.root / "single" / "reports" / PLANS[0] / YEAR / f"Q{QUARTER}"


def test_init_writes_the_four_plans_and_the_run_takes_them_all(cleveland: SimpleNamespace) -> None:
    assert [p.stem for p in cleveland.plans] == PLANS
    assert cleveland.code == 0
    assert cleveland.printed[0] == "csp: running 4 plans on a local Dask cluster of 2 workers"
    done = [line for line in cleveland.printed if " plans done" in line]
    assert [line.split(" plans done")[0] for line in done] == [f"csp: {k}/4" for k in (1, 2, 3, 4)]
    assert "left" in done[1] and done[-1].startswith("csp: 4/4 plans done in ")
    header = next(i for i, line in enumerate(cleveland.printed) if line.startswith("plan "))
    table = cleveland.printed[header : header + 6]
    assert table[0].split() == ["plan", "outcome", "seconds", "report", "or", "reason"]
    assert [row.split()[:2] for row in table[1:5]] == [[plan, "ran"] for plan in PLANS]
    assert table[-1] == "csp: 4 ran, 0 up to date, 0 failed"
    assert cleveland.printed[-1].startswith("csp: 4 plans compared: ")


def test_the_run_compares_the_plans_and_logs_each(cleveland: SimpleNamespace) -> None:
    """At its end the run compares the four (no measure can be, in Q2: each says why) and the
    run log has a row per plan."""
    reports = cleveland.root / "many" / "reports"
    peers = pd.read_csv(reports / "peers" / YEAR / f"Q{QUARTER}" / "peers.csv", dtype=str)
    assert sorted(set(peers["plan"])) == PLANS
    assert set(peers["flag"]) == {"not compared"}
    assert peers["reason"].str.contains("May 2024").all()
    log = pd.read_csv(reports / "runs.csv", dtype=str)
    assert sorted(log["plan"]) == PLANS
    assert set(log["outcome"]) == {"ran"} and set(log["quarter"]) == {QUARTER}


def test_each_plan_reports_as_a_single_plan_run_does(
    cleveland: SimpleNamespace, tmp_path: Path
) -> None:
    for plan in cleveland.plans:
        report = cleveland.root / "many" / "reports" / plan.stem / YEAR / f"Q{QUARTER}"
        expected = reader_statuses(plan, cleveland.raw, tmp_path / plan.stem)
        assert (report / "statuses.csv").read_bytes() == expected.read_bytes()
        assert (report / "dashboard.html").is_file()
    statuses = (report / "statuses.csv").read_text(encoding="utf-8")
    assert ",Q1,on_track," in statuses or ",Q1,off_track," in statuses  # Q1 judged
    assert "no data for May 2024 to Jun 2024" in statuses  # Q2 not, and says why


def test_the_dashboard_is_the_single_plan_runs(
    cleveland: SimpleNamespace, single_hartlepool: Path
) -> None:
    many = cleveland.root / "many" / "reports" / PLANS[0] / YEAR / f"Q{QUARTER}"
    assert dashboard_text(many / "dashboard.html") == dashboard_text(
        single_hartlepool / "dashboard.html"
    )
    assert (many / "statuses.csv").read_bytes() == (single_hartlepool / "statuses.csv").read_bytes()
    index = (cleveland.root / "many" / "reports" / "index.html").read_text(encoding="utf-8")
    assert all(plan in index for plan in PLANS)


def test_the_partnerships_of_the_force_share_one_read(cleveland: SimpleNamespace) -> None:
    """Four plans of the same street files: one read kept, loaded by the other three."""
    kept = sorted((cleveland.root / "shared-reads").glob("*.arrow"))
    assert len(kept) == 1


def test_a_rerun_with_nothing_to_do_starts_no_cluster(
    cleveland: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_cluster(jobs: int, scheduler: str | None) -> batch.Runner:
        def refuse(request: BatchRequest, tally: Tally) -> None:
            raise AssertionError(f"a cluster was asked to run {request.plans}")

        return refuse

    monkeypatch.setattr(many_plans, "on_dask", no_cluster)
    pattern = str(cleveland.root / "plans" / "cleveland-*")
    code, printed = run_command(
        pattern, "--jobs", "2", "--raw-dir", str(cleveland.raw), roots=cleveland.root / "many"
    )
    assert code == 0
    assert printed[-1] == "csp: 0 ran, 4 up to date, 0 failed"


# A separately started Dask scheduler and worker ---------------------------------------------------


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[str]:
    """`dask scheduler` and `dask worker` (one process, one thread) on this machine, started as a
    cluster's operator would; the scheduler's address. Both are stopped, with their children."""
    scheduler_file = tmp_path / "scheduler.json"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(config.PROJECT_ROOT), os.environ.get("PYTHONPATH")])
        ),
    }
    common = ["--no-dashboard", "--scheduler-file", str(scheduler_file)]
    commands = [
        [sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", "0", *common],
        [sys.executable, "-m", "dask", "worker", "--nworkers", "1", "--nthreads", "1", *common],
    ]
    started = []
    try:
        for name, command in zip(("scheduler", "worker"), commands, strict=True):
            log = (tmp_path / f"{name}.log").open("w")
            started.append(
                subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)
            )
            deadline = time.monotonic() + 60
            while not scheduler_file.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
        yield json.loads(scheduler_file.read_text())["address"]
    finally:
        for process in reversed(started):
            stop(process)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the process's group (a worker's nanny and its worker), SIGKILL if it lingers."""
    for sent in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sent)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=20)
            return
        except subprocess.TimeoutExpired:
            continue


def damaged_plan(cleveland: SimpleNamespace, folder: Path) -> Path:
    """Hartlepool's plan over a copy of the download in which one month has a row of no month:
    its run fails mid-way, in cleaning, naming the file and row."""
    raw = folder / "damaged-download"
    for month_folder in cleveland.raw.iterdir():
        if month_folder.is_dir() and month_folder.name[:4] in {"2024", "2025"}:
            (raw / month_folder.name).mkdir(parents=True)
            for file in month_folder.iterdir():
                (raw / month_folder.name / file.name).symlink_to(file)
    damaged = raw / "2025-02" / "2025-02-cleveland-street.csv"
    text = damaged.read_bytes().decode("utf-8-sig")
    end = "\r\n" if "\r\n" in text else "\n"
    damaged.unlink()
    row = ",February,,,,,On or near X,E01011949,Hartlepool 009A,Drugs,,"
    damaged.write_bytes((text.rstrip("\r\n") + end + row + end).encode())
    plan = yaml.safe_load(cleveland.plans[0].read_text(encoding="utf-8"))
    plan.update({"plan": "cleveland-damaged", "raw_dir": str(raw)})
    path = folder / "plans" / "cleveland-damaged.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(plan, sort_keys=False), encoding="utf-8")
    return path


def test_a_run_on_an_existing_cluster_gives_the_same_outputs_and_survives_a_failing_plan(
    cleveland: SimpleNamespace, single_hartlepool: Path, dask_cluster: str, tmp_path: Path
) -> None:
    """Hartlepool, and a plan whose run fails in cleaning, sent with --scheduler: Hartlepool's
    report is the single-plan run's; the failure is reported with its reason; exit code 1."""
    damaged_plan(cleveland, tmp_path)
    shutil.copy(cleveland.plans[0], tmp_path / "plans" / cleveland.plans[0].name)
    code, printed = run_command(
        str(tmp_path / "plans" / "*.yml"), "--scheduler", dask_cluster, roots=tmp_path
    )
    assert code == 1
    assert printed[0] == f"csp: running 2 plans on {dask_cluster}"
    rows = {line.split()[0]: line for line in printed[-3:-1]}
    assert rows["cleveland-damaged"].split()[1] == "failed"
    assert re.search(
        r"01_clean failed: ExtractError: .*2025-02-cleveland-street\.csv, row \d+, column "
        r"'Month': 'February' is not a month",
        rows["cleveland-damaged"],
    )
    assert rows[PLANS[0]].split()[1] == "ran"
    report = tmp_path / "reports" / PLANS[0] / YEAR / f"Q{QUARTER}"
    assert dashboard_text(report / "dashboard.html") == dashboard_text(
        single_hartlepool / "dashboard.html"
    )
    assert (report / "statuses.csv").read_bytes() == (
        single_hartlepool / "statuses.csv"
    ).read_bytes()
    assert not (tmp_path / "reports" / "cleveland-damaged" / YEAR / f"Q{QUARTER}").exists()


# The command line and the tally, without a cluster -----------------------------------------------


def test_a_pattern_names_the_plans_of_plans_or_of_a_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("north-a", "north-b", "south-a"):
        (tmp_path / f"{name}.yml").write_text(f"plan: {name}\n", encoding="utf-8")
    monkeypatch.setattr(config, "PLANS_DIR", tmp_path)
    assert config.matching_plans("north-*") == ["north-a", "north-b"]
    assert config.matching_plans("*-a") == ["north-a", "south-a"]
    assert config.matching_plans("north-b") == ["north-b"]  # a name, as ever
    assert config.matching_plans(str(tmp_path / "s*.yml")) == [str(tmp_path / "south-a.yml")]
    with pytest.raises(CspError, match=r"east-\*: plan: no plan matches .*north-a, north-b"):
        config.matching_plans("east-*")


def test_many_plans_are_checked_before_anything_heavy_is_imported(tmp_path: Path) -> None:
    """In a fresh process: a pattern that matches nothing, and --jobs with --scheduler, are
    answered without dask, pandas or papermill."""
    code = (
        "import sys; from csp import cli; "
        "codes = [cli.main(['run', '--plan', 'nothing-*', '--year', '2025', '--quarter', '2'])]; "
        "print(codes, sorted(m for m in ('dask', 'distributed', 'pandas', 'papermill') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[1] []"
    assert "nothing-*: plan: no plan matches the pattern" in done.stderr
    both = ["--jobs", "2", "--scheduler", "tcp://127.0.0.1:8786"]
    args = cli.build_parser().parse_args(["run", "--plan", "x", "--latest", *both])
    with pytest.raises(SystemExit):
        cli.check_choice(cli.build_parser(), args)


def test_jobs_is_a_positive_number(capsys: pytest.CaptureFixture[str]) -> None:
    for wrong in ("0", "-1", "two"):
        with pytest.raises(SystemExit):
            cli.build_parser().parse_args(["run", "--plan", "x", "--jobs", wrong])
        assert "expected a whole number of workers" in capsys.readouterr().err


def outcome(
    plan: str, kind: str, seconds: float, report: str = "", reason: str = ""
) -> PlanOutcome:
    return PlanOutcome(plan, "2025", 2, kind, seconds, report, reason)


def test_the_time_left_is_the_mean_run_shared_between_the_workers(tmp_path: Path) -> None:
    lines: list[str] = []
    tally = Tally(5, tmp_path, lines.append, workers=2)
    tally.add("a", outcome("a", "up_to_date", 0.1), ran=False)
    tally.add("b", outcome("b", "ran", 10.0))
    tally.add("c", outcome("c", "failed", 30.0, reason="01_clean failed"))
    assert lines[0] == "csp: 1/5 plans done (a up to date)"
    assert lines[1] == "csp: 2/5 plans done, about 15 s left (b ran in 10.0 s)"
    assert lines[2] == "csp: 3/5 plans done, about 20 s left (c failed in 30.0 s)"


def test_the_summary_gives_each_plans_report_or_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "REPORTS_DIR", config.PROJECT_ROOT / "reports")
    table = batch.summary(
        [
            outcome("north", "ran", 8.04, str(config.REPORTS_DIR / "north" / "dashboard.html")),
            outcome("south-side", "failed", 2.0, reason="01_clean failed: ExtractError: x"),
            outcome("east", "up_to_date", 0.0, str(config.REPORTS_DIR / "east" / "x.html")),
        ]
    ).splitlines()
    assert table == [
        "plan        outcome     seconds  report or reason",
        "north       ran             8.0  reports/north/dashboard.html",
        "south-side  failed          2.0  01_clean failed: ExtractError: x",
        "east        up to date      0.0  reports/east/x.html",
        "csp: 1 ran, 1 up to date, 1 failed",
    ]


def test_a_scheduler_that_does_not_answer_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 1)
    with (
        pytest.raises(CspError, match=r"no Dask scheduler answers at tcp://127\.0\.0\.1:9 "),
        cluster.cluster_client(1, "tcp://127.0.0.1:9"),
    ):
        pass


def test_latest_for_many_plans_runs_each_plan_on_its_own_latest_quarter(
    cleveland: SimpleNamespace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`csp schedule` prints `csp run --plan PATTERN --latest`: each plan's latest quarter is
    chosen from its files (Cleveland's download has all of 2025: Q4), plans on one quarter run
    together, and a plan with no quarter ready is refused in the run log while the others go on."""
    future = tmp_path / "cleveland-future.yml"
    text = cleveland.plans[0].read_text(encoding="utf-8")
    future.write_text(text.replace('years: ["2024", "2025"]', 'years: ["2031"]'), encoding="utf-8")
    batches: list[tuple[list[str], str, int]] = []

    def run_batch(args: object, plans: list[str], year: str, quarter: int) -> list[PlanOutcome]:
        batches.append(([Path(p).stem for p in plans], year, quarter))
        return [PlanOutcome(Path(p).stem, year, quarter, "up_to_date", 0.1) for p in plans]

    monkeypatch.setattr(many_plans, "run_batch", run_batch)
    monkeypatch.setattr(config, "REPORTS_DIR", tmp_path / "reports")
    plans = [*map(str, cleveland.plans), str(future)]
    args = ["run", "--plan", str(tmp_path.parent / "*" / "cleveland-*.yml"), "--latest"]
    monkeypatch.setattr(config, "matching_plans", lambda pattern: plans)
    assert cli.main([*args, "--raw-dir", str(cleveland.raw), "--jobs", "2"]) == 1
    assert batches == [(PLANS, "2025", 4)]
    log = pd.read_csv(tmp_path / "reports" / "runs.csv", dtype=str)
    assert list(log["plan"]) == ["cleveland-future"] and list(log["outcome"]) == ["refused"]
    assert "years (2031) has all its months in" in log["detail"][0]
