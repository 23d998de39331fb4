"""The runner of many plans on Dask distributed: a `LocalCluster` of N worker processes on this
machine (`--jobs N`), or the workers of an existing cluster (`--scheduler tcp://HOST:8786`).

Each plan's quarter is one task (`run_plan`) doing what `csp run` does for one plan: parameters
checked, "up to date" if nothing changed, its lock, its own staging folders and kernel. It never
raises: a failure is the outcome's reason. Workers are processes of one thread each; a run sets
its process's JUPYTER_PATH while its kernel lives, so runs in one process take turns
(`_ONE_RUN`) whatever a worker's threads. A worker needs csp installed, and the plans and output
folders at the paths the command gives (shared storage on another machine); the extracts folder
too, or a URL it copies them from (`csp.inputs.mirror`).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from distributed import Client, Future, LocalCluster, as_completed

from csp import config
from csp.domain import parameters
from csp.errors import CspError, RunError
from csp.inputs import mirror
from csp.many.batch import BatchRequest, PlanOutcome, Tally, answered_without_running, failure
from csp.report import index
from csp.run import pipeline, runlog
from csp.run.kernel import WarmKernel
from csp.store import lock

CONNECT_SECONDS = 20
_ONE_RUN = threading.Lock()


def run_plan(plan: str, request: BatchRequest) -> PlanOutcome:
    """One plan's quarter, on a worker. Every failure is the outcome's reason: a csp error's own
    sentence, or the type and message of an unexpected one."""
    started = time.perf_counter()
    with _ONE_RUN:
        try:
            if config.is_url(request.raw_dir):
                request = replace(request, raw_dir=str(mirror.local_copy(request.raw_dir)))
            outcome = answered_without_running(plan, request) or _run(plan, request)
        except CspError as exc:
            outcome = failure(plan, request, str(exc))
        except Exception as exc:  # one plan's bug must not stop the others
            outcome = failure(plan, request, f"{type(exc).__name__}: {exc}")
    return replace(outcome, seconds=round(time.perf_counter() - started, 1))


def _run(plan: str, request: BatchRequest) -> PlanOutcome:
    """The run proper, as `csp run` makes it, into the request's folders."""
    checked = parameters.check_run(plan, request.year, request.quarter, request.raw_dir)
    finals = (
        request.folder(request.processed_root, checked),
        request.folder(request.reports_root, checked),
    )
    with lock.hold(checked.label, *finals):
        pass  # a run in progress is named before a kernel is started for nothing
    with WarmKernel(config.PROJECT_ROOT) as kernel:
        dashboard = pipeline.run_quarter(
            plan,
            checked.year,
            checked.quarter,
            raw_dir=request.raw_dir,
            processed_root=request.processed_root,
            reports_root=request.reports_root,
            progress=_quiet,
            kernel=kernel,
        )
    return PlanOutcome(checked.plan, checked.year, checked.quarter, runlog.RAN, 0.0, str(dashboard))


def _quiet(message: str) -> None:
    """A worker's runs say nothing as they go: the command prints their outcomes."""


def run_plans(
    request: BatchRequest, tally: Tally, *, jobs: int = 1, scheduler: str | None = None
) -> None:
    """Every plan of the request as a task; each outcome into the tally as it comes."""
    with cluster_client(jobs, scheduler) as client:
        tally.workers = max(1, sum(client.nthreads().values()))
        where = scheduler or f"a local Dask cluster of {jobs} worker{'s' if jobs > 1 else ''}"
        tally.progress(f"csp: running {len(request.plans)} plans on {where}")
        batch_id = uuid.uuid4().hex[:8]  # keys of their own on a scheduler others use too
        futures = {
            client.submit(
                run_plan,
                plan,
                replace(request, plans=(plan,)),
                key=f"csp-run-{Path(plan).stem}-{batch_id}",
            ): plan
            for plan in request.plans
        }
        for future in as_completed(futures):
            tally.add(futures[future], _outcome(future, futures[future], request, tally.started))
    if any(outcome.outcome == runlog.RAN for outcome in tally.outcomes.values()):
        index.build_index(request.reports_root)  # again: runs finishing together each wrote it


def _outcome(future: Future, plan: str, request: BatchRequest, started: float) -> PlanOutcome:
    """The task's outcome; a worker that died under it (killed, out of memory) fails the plan."""
    try:
        return future.result()
    except Exception as exc:  # reported as the plan's reason
        reason = f"its Dask worker failed: {type(exc).__name__}: {exc}"
        return failure(plan, request, reason, time.perf_counter() - started)


@contextmanager
def cluster_client(jobs: int, scheduler: str | None) -> Iterator[Client]:
    """A client of the cluster at `scheduler`, or of a LocalCluster of `jobs` worker processes
    with one thread each (closed on exit)."""
    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError) as exc:
            raise RunError(f"no Dask scheduler answers at {scheduler} ({exc})") from None
        with client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=jobs,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client
