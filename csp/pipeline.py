"""Running a quarter: execute the three notebooks with papermill, export the dashboard, and only then
replace the previous outputs, so a failed run never leaves a half-written report behind.

The three notebooks share one kernel, kept warm between steps with its namespace cleared before each
step: each notebook still runs on its parameters and the previous step's files only, but the second
and third neither start a kernel nor import the stack again. Each run builds in staging folders
beside its final ones and swaps them in at the end, holding the quarter's lock (`csp.lock`)
throughout. A failed run keeps its executed notebooks in `<report folder>.failed/` (the failing cell
marked by papermill) and raises RunError naming that notebook.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat
import papermill
from jupyter_client.manager import KernelManager
from papermill.exceptions import PapermillExecutionError

from csp import __version__, config, export, index, lock, processed, workbook
from csp.errors import RunError
from csp.extracts import display_path
from csp.manifest import Manifest
from csp.parameters import check_run
from csp.runs import QuarterRun, source_commit

STEPS = (
    ("01_clean", "cleaning extracts"),
    ("02_measures", "measures and statuses"),
    ("03_dashboard", "dashboard"),
)
KERNEL_NAME = "python3"


@contextmanager
def pinned_kernel() -> Iterator[None]:
    """Make the `python3` kernel this interpreter, whatever kernelspecs the machine has installed."""
    with tempfile.TemporaryDirectory(prefix="csp-kernel-") as folder:
        spec_dir = Path(folder) / "kernels" / KERNEL_NAME
        spec_dir.mkdir(parents=True)
        spec = {
            "argv": [
                sys.executable,
                "-m",
                "ipykernel_launcher",
                "-f",
                "{connection_file}",
                "--IPKernelApp.log_level=ERROR",
            ],
            "display_name": "Python 3 (csp)",
            "language": "python",
            "metadata": {"debugger": False},
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
        previous = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (folder, previous) if p)
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = previous


def run_quarter(
    plan: str,
    year: str,
    quarter: int | str,
    *,
    raw_dir: str | Path | None = None,
    processed_root: Path | None = None,
    reports_root: Path | None = None,
    progress: Callable[[str], None] = print,
) -> Path:
    """Run one quarter end to end; return the dashboard's path."""
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
        return _run_locked(run, processed_final, report_final, reports_root, progress, started)


def _run_locked(
    run: QuarterRun,
    processed_final: Path,
    report_final: Path,
    reports_root: Path | None,
    progress: Callable[[str], None],
    started: float,
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
        execute_steps(parameters, report_stage, progress)
        write_report_files(run, processed.RunFolder(processed_stage), report_stage, started)
        inputs.write(report_stage)
    except StepFailed as failure:
        failed = _keep_failed(report_stage, report_final)
        shutil.rmtree(processed_stage, ignore_errors=True)
        raise RunError(failure.reason, failed / f"{failure.step}.ipynb") from None
    except BaseException:
        shutil.rmtree(processed_stage, ignore_errors=True)
        shutil.rmtree(report_stage, ignore_errors=True)
        raise
    _swap_in(processed_stage, processed_final)
    _swap_in(report_stage, report_final)
    shutil.rmtree(_failed_dir(report_final), ignore_errors=True)
    index.build_index(reports_root or config.REPORTS_DIR)
    dashboard = report_final / "dashboard.html"
    progress(
        f"csp: dashboard written to {display_path(dashboard)} ({time.perf_counter() - started:.1f} s)"
    )
    return dashboard


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


@contextmanager
def warm_kernel() -> Iterator[KernelManager]:
    """One kernel for the three steps: started once, so the second and third notebooks neither
    start a kernel nor import pandas and csp again; shut down whatever happens."""
    with pinned_kernel():
        kernel = KernelManager(kernel_name=KERNEL_NAME)
        kernel.start_kernel(cwd=str(config.PROJECT_ROOT))
        try:
            yield kernel
        except KeyboardInterrupt:
            kernel.shutdown_kernel(now=True)  # a cell may still be running: stop it at once
            raise
        except BaseException:
            stop_kernel(kernel)
            raise
        stop_kernel(kernel)


def stop_kernel(kernel: KernelManager) -> None:
    """Stop an idle kernel with a shutdown request alone, and wait for it to exit.

    Not `shutdown_kernel()`, which sends SIGINT before its request: papermill ends each notebook
    with a kernel_info request, and when the signal lands before the kernel has left that handler,
    ipykernel logs `ERROR | KeyboardInterrupt caught in kernel.` into the run's output (about 1 run
    in 7). The kernel still gets SIGTERM, then SIGKILL, if it does not exit within
    `shutdown_wait_time`."""
    kernel.request_shutdown()
    kernel.finish_shutdown()
    kernel.cleanup_resources()


def empty_namespace(kernel: KernelManager) -> None:
    """Clear the kernel's variables before a step: each notebook runs on its parameters and the
    previous step's files only, as it would alone in JupyterLab (imported modules stay loaded)."""
    reset = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("%reset -f")])
    reset.metadata["kernelspec"] = {"name": KERNEL_NAME, "language": "python", "display_name": ""}
    papermill.execute_notebook(reset, None, kernel_name=KERNEL_NAME, progress_bar=False, km=kernel)


def execute_steps(
    parameters: dict[str, object], report_stage: Path, progress: Callable[[str], None]
) -> None:
    """The three notebooks in turn, each executed into the staging report folder."""
    with warm_kernel() as kernel:
        for number, (step, label) in enumerate(STEPS, start=1):
            step_started = time.perf_counter()
            progress(f"  [{number}/{len(STEPS)}] {label} ({step}.ipynb) ...")
            if number > 1:
                empty_namespace(kernel)
            try:
                papermill.execute_notebook(
                    config.NOTEBOOKS_DIR / f"{step}.ipynb",
                    report_stage / f"{step}.ipynb",
                    parameters=parameters,
                    kernel_name=KERNEL_NAME,
                    progress_bar=False,
                    cwd=str(config.PROJECT_ROOT),
                    km=kernel,
                )
            except PapermillExecutionError as exc:
                reason = f"{exc.ename}: {exc.evalue}".splitlines()[0]
                raise StepFailed(step, f"{step} failed: {reason}") from None
            progress(f"        done in {time.perf_counter() - step_started:.1f} s")


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


def _swap_in(stage: Path, final: Path) -> None:
    """Replace `final` with `stage` in two renames; the old folder is removed only afterwards."""
    old = lock.aside_dir(final, uuid.uuid4().hex[:8])
    if final.exists():
        final.rename(old)
    stage.rename(final)
    shutil.rmtree(old, ignore_errors=True)
