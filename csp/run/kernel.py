"""The kernels a run's notebooks execute in, started early and warmed.

The data kernel is started first thing in `csp run`, and at once asked to import what cleaning and
measures import, so that its start-up and the imports of pandas, scipy and csp happen while the
run's own process is importing papermill and nbconvert: on two cores the two overlap instead of
adding up. The dashboard's kernel is warmed the same way while the measures run (`csp.run.pipeline`).
Between steps in one kernel its namespace is cleared, so each notebook still runs on its parameters
and the previous step's files only, as it would alone in JupyterLab (imported modules stay loaded).

Only jupyter_client is imported here, which is cheap; papermill, nbformat and nbconvert are not.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import queue
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.client import KernelClient
from jupyter_client.manager import KernelManager
from traitlets import DottedObjectName, Type

from csp.errors import RunError

KERNEL_NAME = "python3"
# What the steps import, per kernel: the data kernel (clean, then measures) and the dashboard's.
# A failure here is ignored, as the notebook will fail the same way at its own import cell and say
# so in its step.
DATA_PRELOAD = "import IPython.display, scipy.special, csp.steps.clean, csp.steps.measure"
DASHBOARD_PRELOAD = "import IPython.display, csp.steps.render"
# The user namespace emptied as `%reset -f` empties it (hidden names such as In, Out and
# get_ipython stay), without its full garbage collection, which costs 0.3 s in a kernel holding
# pandas, scipy and matplotlib; `Out` is emptied too, so no result of a step outlives it.
RESET = (
    "(lambda ip: (ip.history_manager.output_hist.clear(), "
    "[ip.user_ns.pop(name) for name in [n for n in ip.user_ns if n not in ip.user_ns_hidden]], "
    "__import__('csp.run.kernel', fromlist=['kernel']).release_memory()))"
    "(get_ipython())"
)
RESET_TIMEOUT = 60.0
# What a kernel's death by a signal most often means, for a failed run's message.
SIGNAL_CAUSES = {
    "SIGKILL": "most often the system ran out of memory",
    "SIGBUS": "a file it had mapped was cut short",
    "SIGSEGV": "a crash in a compiled library",
}
PRELOAD_TIMEOUT = 120.0


def release_memory() -> None:
    """In a kernel, once a step's variables are gone: the memory they held given back to the OS.
    Arrow's pool and glibc's heap keep what was freed for reuse, so the data kernel kept the
    peak of cleaning a force's million rows through the measures beside the dashboard's kernel."""
    arrow = sys.modules.get("pyarrow")
    if arrow is not None:
        arrow.default_memory_pool().release_unused()
    with contextlib.suppress(AttributeError, OSError):  # no glibc (macOS): nothing to trim
        ctypes.CDLL(None).malloc_trim(0)


def kernel_spec(folder: Path) -> None:
    """Write a `python3` kernelspec for this interpreter in `folder` (errors-only logging)."""
    spec_dir = folder / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [
            sys.executable,
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
            "--IPKernelApp.log_level=ERROR",
            # No history database: a run's record is its executed notebooks, and a kernel that
            # keeps no file open can be stopped at once (`stop_kernel`).
            "--HistoryManager.enabled=False",
        ],
        "display_name": "Python 3 (csp)",
        "language": "python",
        "metadata": {"debugger": False},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")


def _wait_for_reply(client: BlockingKernelClient, msg_id: str, timeout: float) -> dict | None:
    """The kernel's reply to `msg_id`; None after `timeout` seconds, or as soon as the kernel has
    died (a preload that fails or hangs is the first notebook's to report, at its import cell)."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = client.get_shell_msg(timeout=min(left, 1.0))
        except queue.Empty:
            if not client.is_alive():
                return None  # a kernel that died never answers
            continue
        if message["parent_header"].get("msg_id") == msg_id:
            return message
    return None


def kernel_died(kernel: KernelManager) -> str:
    """Why a step's kernel died, as far as its exit tells (a kernel's process is a child of this
    one, so its exit status is known)."""
    process = getattr(kernel.provisioner, "process", None)
    code = process.poll() if process is not None else None
    if code is not None and code < 0:
        name = signal.Signals(-code).name
        cause = SIGNAL_CAUSES.get(name)
        return f"its notebook kernel was stopped by {name}" + (f" ({cause})" if cause else "")
    return "its notebook kernel died" + (f" (exit code {code})" if code is not None else "")


class ClosingKernelManager(KernelManager):
    """A kernel manager that remembers the clients it makes, so that they can be closed.

    papermill (nbclient) leaves open the client it makes from a manager it was given: each step
    would keep five sockets, a zmq context and their threads' file handles (about 30 a run), which
    a process running many plans (a Dask worker) piles up until it runs out.

    The client nbclient makes is asynchronous: nbclient waits for a cell's output in an event loop
    beside a check, every second, that the kernel is still alive. A blocking client's wait held
    that loop, so a kernel that died mid-step (out of memory, a signal) left the run waiting for
    ever. The manager's own requests (preload, reset) use blocking clients (`blocking_client`)."""

    client_class = DottedObjectName("jupyter_client.asynchronous.AsyncKernelClient")
    client_factory = Type(klass="jupyter_client.asynchronous.AsyncKernelClient")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.clients: list[KernelClient] = []

    def client(self, **kwargs: object) -> AsyncKernelClient:
        made = super().client(**kwargs)
        self.clients.append(made)
        return made  # type: ignore[return-value]

    def blocking_client(self) -> BlockingKernelClient:
        """A client whose requests wait here, for the manager's own use."""
        made = BlockingKernelClient(
            **self.get_connection_info(session=True),
            connection_file=self.connection_file,
            parent=self,
        )
        self.clients.append(made)
        return made

    def close_clients(self) -> None:
        """Stop every client made so far (their channels, and the context each made)."""
        while self.clients:
            self.clients.pop().stop_channels()


def stop_kernel(kernel: KernelManager) -> None:
    """Stop the kernel with SIGKILL and wait for it to go.

    When a run stops its kernel, every step's outputs are written and the kernel holds nothing
    worth saving (no history file, see `kernel_spec`): a shutdown request only had it tear down
    pandas, scipy and matplotlib for 0.7 s. Not `shutdown_kernel()` either, which sends SIGINT
    first: landing while the kernel was still in the handler of papermill's last kernel_info
    request, it logged `ERROR | KeyboardInterrupt caught in kernel.` (about 1 run in 7). A kernel
    killed in the middle of its preload dies silently too."""
    kernel.signal_kernel(signal.SIGKILL)
    kernel.finish_shutdown(pollinterval=0.01)
    kernel.cleanup_resources()


class WarmKernel:
    """A kernel pinned to this interpreter, started and warmed on entry, shut down on exit.

    The `python3` kernelspec is this interpreter's whatever kernelspecs the machine has, through
    JUPYTER_PATH, for as long as the kernel lives (papermill looks the name up again)."""

    def __init__(self, cwd: Path, preload: str = DATA_PRELOAD) -> None:
        self.cwd, self.preload = cwd, preload
        self.manager: ClosingKernelManager | None = None
        self.client: BlockingKernelClient | None = None
        self._pending: list[str] = []  # requests sent before the first step: the preload first
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._previous_path: str | None = None

    def __enter__(self) -> WarmKernel:
        self._folder = tempfile.TemporaryDirectory(prefix="csp-kernel-")
        kernel_spec(Path(self._folder.name))
        self._previous_path = os.environ.get("JUPYTER_PATH")
        paths = (self._folder.name, self._previous_path)
        os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in paths if p)
        try:
            self.manager = ClosingKernelManager(kernel_name=KERNEL_NAME)
            self.manager.start_kernel(cwd=str(self.cwd))
            self.client = self.manager.blocking_client()
            self.client.start_channels()
            self._pending = [self.client.execute(self.preload, silent=True, store_history=False)]
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def also_run(self, code: str) -> None:
        """Have the kernel run `code` after its preload and before its first step, without waiting
        for it here (the first step waits, as for the preload); a kernel already handed to a step
        is not asked."""
        if self.client is not None:
            self._pending.append(self.client.execute(code, silent=True, store_history=False))

    def ready(self) -> ClosingKernelManager:
        """The kernel's manager, once the preload has finished (a notebook's kernel would wait for
        it anyway). The first client is closed here: a client that lives across a papermill
        execution stops hearing replies, so each later request uses a client of its own."""
        assert self.manager is not None, "the kernel is not started"
        if self.client is not None:
            for request in self._pending:
                _wait_for_reply(self.client, request, PRELOAD_TIMEOUT)
            self.client.stop_channels()
            self.client = None
        return self.manager

    def reset(self) -> None:
        """Clear the namespace before a step (closing the last step's client); waits until the
        kernel has done it, or has died."""
        manager = self.ready()
        manager.close_clients()
        client = manager.blocking_client()
        client.start_channels()
        try:
            request = client.execute(RESET, silent=True, store_history=False)
            reply = _wait_for_reply(client, request, RESET_TIMEOUT)
        finally:
            client.stop_channels()
        if reply is None and not manager.is_alive():
            raise RunError(f"between steps, {kernel_died(manager)}")
        if reply is None or reply["content"].get("status") != "ok":
            raise RunError("the notebook kernel could not clear its variables between steps")

    def stop(self, *, interrupted: bool = False) -> None:
        """Stop the kernel now (once its steps are done); leaving the context stops it anyway.

        A kernel never handed to a step (the run stopped first) is let finish its preload unless
        the run was interrupted: its client's channels are then all up, and stopping them does
        not race their threads' start (a heartbeat thread found its context gone)."""
        if self.client is not None:
            for request in [] if interrupted else self._pending:
                _wait_for_reply(self.client, request, PRELOAD_TIMEOUT)
            self.client.stop_channels()
            self.client = None
        if self.manager is not None:
            self.manager.close_clients()
            if self.manager.has_kernel:
                stop_kernel(self.manager)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        # A cell may still run after an interrupt: stopped at once.
        self.stop(interrupted=kind is not None and issubclass(kind, KeyboardInterrupt))
        if self._previous_path is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = self._previous_path
        if self._folder is not None:
            self._folder.cleanup()
