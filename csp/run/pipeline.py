"""Running a quarter: execute the three notebooks with papermill, export the dashboard, and only then
replace the previous outputs, so a failed run never leaves a half-written report behind.

Cleaning and measures share one kernel, kept warm between them with its namespace cleared: each
notebook still runs on its parameters and the previous step's files only, but the second neither
starts a kernel nor imports the stack again. The dashboard has a kernel of its own, warmed while the
measures run. Each run builds in staging folders
beside its final ones and swaps them in at the end, holding the quarter's lock (`csp.store.lock`)
throughout. A failed run keeps its executed notebooks in `<report folder>.failed/` (the failing cell
marked by papermill) and raises RunError naming that notebook.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import papermill
from jupyter_client.manager import KernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from papermill.exceptions import PapermillExecutionError

from csp import __version__, config
from csp.domain.parameters import check_run
from csp.errors import RunError
from csp.inputs.extracts import display_path
from csp.plan.quarter import QuarterRun, source_commit
from csp.report import export, index, workbook
from csp.run.kernel import DASHBOARD_PRELOAD, DATA_PRELOAD, KERNEL_NAME, WarmKernel, kernel_died
from csp.store import lock, processed
from csp.store.manifest import Manifest, remembering

# Each step: its notebook, what it does, and the kernel it runs in (see `execute_steps`).
STEPS = (
    ("01_clean", "cleaning extracts", "data"),
    ("02_measures", "measures and statuses", "data"),
    ("03_dashboard", "dashboard", "dashboard"),
)
PRELOADS = {"data": DATA_PRELOAD, "dashboard": DASHBOARD_PRELOAD}
# Below this much in the extracts folder, the dashboard's kernel warms from the first step on (on
# the core the run's own process leaves idle), so its imports are done by the time it is needed;
# above it, it starts once cleaning, the run's memory peak, is over (a force's million rows).
SMALL_EXTRACTS_BYTES = 64 * 2**20
# papermill's logger (nbclient's, for the runs it makes) printed what a failed step's message says
# again, unformatted ("Kernel died while waiting for execute reply."): csp says it once. A handler
# of its own keeps Python's last-resort one quiet; an application that configures logging still
# receives every record.
logging.getLogger("papermill").addHandler(logging.NullHandler())


def run_quarter(
    plan: str,
    year: str,
    quarter: int | str,
    *,
    raw_dir: str | Path | None = None,
    processed_root: Path | None = None,
    reports_root: Path | None = None,
    progress: Callable[[str], None] = print,
    kernel: WarmKernel | None = None,
) -> Path:
    """Run one quarter end to end; return the dashboard's path. `kernel`, if given, is one the
    caller started early (`csp run` does, so that it warms while this module is imported)."""
    started = time.perf_counter()
    run = QuarterRun.from_parameters(plan, year, quarter, raw_dir)
    if not run.raw_dir.is_dir():
        raise RunError(
            f"no extracts folder at {display_path(run.raw_dir)} (give one with --raw-dir)"
        )
    where = (run.plan.name, str(run.year), run.quarter)
    processed_final = processed.run_dir(processed_root or config.PROCESSED_DIR, *where)
    report_final = processed.run_dir(reports_root or config.REPORTS_DIR, *where)
    with lock.hold(run.label, processed_final, report_final):
        return _run_locked(
            run, processed_final, report_final, reports_root, progress, started, kernel
        )


def _run_locked(
    run: QuarterRun,
    processed_final: Path,
    report_final: Path,
    reports_root: Path | None,
    progress: Callable[[str], None],
    started: float,
    kernel: WarmKernel | None = None,
) -> Path:
    """The run proper, under the quarter's lock: build in staging folders, then swap them in."""
    name, fy, q = run.plan.name, str(run.year), run.quarter
    token = uuid.uuid4().hex[:8]
    processed_stage = lock.staging_dir(processed_final, token)
    report_stage = lock.staging_dir(report_final, token)
    processed_stage.mkdir(parents=True)
    report_stage.mkdir(parents=True)
    parameters = {
        "plan": str(run.plan.path) if run.plan.path.parent != config.PLANS_DIR else name,
        "year": fy,
        "quarter": q,
        "raw_dir": str(run.raw_dir),
        "processed_dir": str(processed_stage),
    }
    progress(f"csp: running {run.label} from {display_path(run.raw_dir)}")
    try:
        inputs = run_manifest(run, report_final)
        if kernel is not None:  # the files hashed once a run: the data kernel takes these
            kernel.also_run(remembering(run.raw_dir, inputs.inputs))
        small = sum(size for size, *_ in inputs.inputs.values()) < SMALL_EXTRACTS_BYTES
        execute_steps(parameters, report_stage, progress, kernel, warm_ahead=2 if small else 1)
        write_report_files(run, processed.RunFolder(processed_stage), report_stage, started)
        settled = inputs.settled(run.raw_dir)
        settled.with_outputs(processed_stage, report_stage).write(report_stage)
    except StepFailed as failure:
        failed = _keep_failed(report_stage, report_final)
        shutil.rmtree(processed_stage, ignore_errors=True)
        reason = failure.reason + _changed_during(run.raw_dir, inputs)
        raise RunError(reason, failed / f"{failure.step}.ipynb") from None
    except BaseException:
        shutil.rmtree(processed_stage, ignore_errors=True)
        shutil.rmtree(report_stage, ignore_errors=True)
        raise
    lock.swap_in(processed_stage, processed_final)
    lock.swap_in(report_stage, report_final)
    shutil.rmtree(_failed_dir(report_final), ignore_errors=True)
    index.build_index(reports_root or config.REPORTS_DIR)
    dashboard = report_final / "dashboard.html"
    progress(
        f"csp: dashboard written to {display_path(dashboard)} ({time.perf_counter() - started:.1f} s)"
    )
    return dashboard


def _changed_during(raw_dir: Path, inputs: Manifest) -> str:
    """What a failed run's message adds when extracts changed while it ran: a file copied in
    mid-run can fail a step in ways that do not name it (a mapped file cut short stops the
    kernel)."""
    changed = inputs.changed_since(raw_dir)
    if not changed:
        return ""
    names = ", ".join(display_path(raw_dir / name) for name in changed[:3])
    more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
    return (
        f"; meanwhile {names}{more} changed (still being copied in?): "
        "run again once the extracts are complete"
    )


def run_manifest(run: QuarterRun, report_final: Path) -> Manifest:
    """The inputs as the run starts (checksums reused from the last report's manifest where a
    file's size and time are unchanged)."""
    request = check_run(str(run.plan.path), str(run.year), run.quarter, run.raw_dir)
    return Manifest.of(
        request.as_dict(), run.plan.path, run.raw_dir, known=Manifest.read(report_final)
    )


class StepFailed(Exception):
    """A notebook step raised; its executed notebook shows the failing cell."""

    def __init__(self, step: str, reason: str) -> None:
        super().__init__(reason)
        self.step, self.reason = step, reason


def execute_steps(
    parameters: dict[str, object],
    report_stage: Path,
    progress: Callable[[str], None],
    kernel: WarmKernel | None = None,
    *,
    warm_ahead: int = 1,
) -> None:
    """The three notebooks in turn, each executed into the staging report folder: cleaning and
    measures in the data kernel (the caller's, already warming, or a new one), the dashboard in a
    kernel of its own, started `warm_ahead` steps before its own, so that it imports matplotlib on
    the second core while the data kernel works (see SMALL_EXTRACTS_BYTES)."""
    with ExitStack() as stack:
        kernels = {"data": kernel} if kernel else {}
        used: set[str] = set()
        for number, (step, label, role) in enumerate(STEPS, start=1):
            step_started = time.perf_counter()
            progress(f"  [{number}/{len(STEPS)}] {label} ({step}.ipynb) ...")
            for upcoming in [s[2] for s in STEPS[number - 1 : number + warm_ahead]]:
                if upcoming not in kernels:
                    warm = WarmKernel(config.PROJECT_ROOT, PRELOADS[upcoming])
                    kernels[upcoming] = stack.enter_context(warm)
            for finished in used - {s[2] for s in STEPS[number - 1 :]}:
                kernels[finished].stop()  # its steps are done: its memory back before the next
            if role in used:
                kernels[role].reset()
            used.add(role)
            execute_step(step, parameters, report_stage, kernels[role].ready())
            progress(f"        done in {time.perf_counter() - step_started:.1f} s")


def execute_step(
    step: str, parameters: dict[str, object], report_stage: Path, kernel: KernelManager
) -> None:
    """One notebook, executed in `kernel`; a cell's error, its running past the time limit, or the
    kernel's death, is the step's failure with its reason."""
    limit = config.cell_time_limit()
    try:
        papermill.execute_notebook(
            config.NOTEBOOKS_DIR / f"{step}.ipynb",
            report_stage / f"{step}.ipynb",
            parameters=parameters,
            kernel_name=KERNEL_NAME,
            progress_bar=False,
            cwd=str(config.PROJECT_ROOT),
            km=kernel,
            execution_timeout=limit,
        )
    except CellTimeoutError:
        stopped = f"a cell ran past the limit of {limit} s (CSP_CELL_TIME_LIMIT) and was stopped"
        raise StepFailed(step, f"{step} failed: {stopped}") from None
    except PapermillExecutionError as exc:
        reason = f"{exc.ename}: {exc.evalue}".splitlines()[0]
        raise StepFailed(step, f"{step} failed: {reason}") from None
    except DeadKernelError:
        raise StepFailed(step, f"{step} failed: {kernel_died(kernel)}") from None
    except RuntimeError:
        if kernel.is_alive():
            raise
        raise StepFailed(step, f"{step} failed: {kernel_died(kernel)}") from None  # at its start


def write_report_files(
    run: QuarterRun, folder: processed.RunFolder, report_stage: Path, started: float
) -> None:
    """Beside the executed notebooks: the dashboard, statuses as CSV and xlsx, and run.json."""
    title = (
        f"{run.plan.partnership}: Community Safety Plan dashboard {run.year.label} Q{run.quarter}"
    )
    export.export_html(report_stage / "03_dashboard.ipynb", report_stage / "dashboard.html", title)
    workbook.write_statuses_csv(folder.statuses, report_stage / "statuses.csv")
    workbook.write_statuses_xlsx(folder.read_statuses(), report_stage / "statuses.xlsx", title)
    index.write_run_record(
        report_stage,
        {
            "plan": run.plan.name,
            "partnership": run.plan.partnership,
            "year": str(run.year),
            "quarter": run.quarter,
            "produced": f"{dt.datetime.now():%Y-%m-%d %H:%M}",
            "csp_version": __version__,
            "commit": source_commit(),
            "seconds": round(time.perf_counter() - started, 1),
        },
    )


def _failed_dir(final: Path) -> Path:
    return final.with_name(f"{final.name}.failed")


def _keep_failed(stage: Path, final: Path) -> Path:
    """The failed run's executed notebooks, kept apart from the last good report."""
    failed = _failed_dir(final)
    shutil.rmtree(failed, ignore_errors=True)
    stage.rename(failed)
    return failed
