"""One run of a quarter at a time, and nothing left behind by a run that died.

A run holds an exclusive `flock` on a hidden lock file beside each folder it replaces
(`reports/<plan>/<year>/.Q2.lock`, and the same beside the processed folder) while it runs. The
operating system releases the lock when the process ends, however it ends (kill -9 included), so the
lock of a dead run never blocks: the next run takes it. The holder writes its pid and start time in
the file for the message a second run gives, and removes the file when it is done.

A run builds in staging folders beside its final ones (`.Q2.staging-<token>`) and, while swapping,
moves the previous folder aside (`.Q2.old-<token>`). A killed run leaves them behind, holding person
IDs. Once a run holds the lock no live run owns any of them, so it removes them, after putting the
previous report back if the run died between the two renames of a swap.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from csp.errors import RunInProgress

HOLDER_READS = 20  # the holder writes its pid just after locking: a reader may come in between


@contextmanager
def waiting(path: Path) -> Iterator[object]:
    """Hold an exclusive `flock` on `path` (made if need be), waiting for whoever holds it: for work
    that others should wait for rather than repeat (a shared read, a mirror's copy), unlike a run,
    which is refused while another holds its quarter. Yields the open lock file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield handle


def lock_file(final: Path) -> Path:
    return final.with_name(f".{final.name}.lock")


def staging_dir(final: Path, token: str) -> Path:
    return final.with_name(f".{final.name}.staging-{token}")


def aside_dir(final: Path, token: str) -> Path:
    """Where a swap moves the previous folder until the new one is in place."""
    return final.with_name(f".{final.name}.old-{token}")


@contextmanager
def hold(label: str, *finals: Path) -> Iterator[None]:
    """Lock the run of `label` (whose folders are `finals`) and clear what dead runs left; raise
    RunInProgress naming the live run that holds it."""
    held: list[tuple[Path, int]] = []
    try:
        for final in dict.fromkeys(finals):
            held.append((lock_file(final), _acquire(lock_file(final), label)))
        for final in finals:
            remove_leftovers(final)
        yield
    finally:
        for path, descriptor in reversed(held):
            _release(path, descriptor)


def tidy(label: str, *finals: Path) -> None:
    """Clear what dead runs left, if no run is live (for a run that has nothing to do)."""
    present = [final for final in finals if final.parent.is_dir()]
    if present:
        with contextlib.suppress(RunInProgress), hold(label, *present):
            pass


def swap_in(stage: Path, final: Path) -> None:
    """Replace `final` with `stage` in two renames; the old folder is removed only afterwards."""
    old = aside_dir(final, uuid.uuid4().hex[:8])
    if final.exists():
        final.rename(old)
    stage.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def remove_leftovers(final: Path) -> list[Path]:
    """Remove the staging and set-aside folders of dead runs beside `final`; only under the lock."""
    if not final.parent.is_dir():
        return []
    aside = sorted(final.parent.glob(f".{final.name}.old-*"))
    if aside and not final.exists():
        aside.pop().rename(final)  # died mid-swap: the previous folder is still the good one
    leftovers = [*sorted(final.parent.glob(f".{final.name}.staging-*")), *aside]
    for folder in leftovers:
        shutil.rmtree(folder, ignore_errors=True)
    return leftovers


def _acquire(path: Path, label: str) -> int:
    """An open descriptor holding the lock on `path`, with this process written in it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(descriptor)
            os.close(descriptor)
            raise RunInProgress(f"a run of {label} is in progress ({holder})") from None
        except OSError:
            os.close(descriptor)
            raise
        if _is_current(descriptor, path):
            break
        os.close(descriptor)  # its holder removed the file as we opened it: lock the new one
    started = dt.datetime.now().isoformat(timespec="seconds")
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, json.dumps({"pid": os.getpid(), "started": started}).encode(), 0)
    return descriptor


def _release(path: Path, descriptor: int) -> None:
    """Remove the file while still holding it (a waiting opener then sees it is stale), then unlock."""
    try:
        if _is_current(descriptor, path):
            path.unlink()
    finally:
        os.close(descriptor)


def _is_current(descriptor: int, path: Path) -> bool:
    """The locked descriptor is the file at `path` now, not one removed since it was opened."""
    try:
        return os.path.samestat(os.fstat(descriptor), os.stat(path))
    except FileNotFoundError:
        return False


def _holder(descriptor: int) -> str:
    """'pid 123, started 14:05' from the lock file, as its holder wrote it."""
    for _ in range(HOLDER_READS):
        try:
            record = json.loads(os.pread(descriptor, 4096, 0) or b"null")
            pid, started = int(record["pid"]), dt.datetime.fromisoformat(record["started"])
        except (ValueError, TypeError, KeyError):
            time.sleep(0.05)
            continue
        when = f"{started:%H:%M}" if started.date() == dt.date.today() else f"{started:%d %b %H:%M}"
        return f"pid {pid}, started {when}"
    return "pid unknown"
