"""The floor under a quarter's run: one process doing what the design cannot avoid, three papermill
executions of a notebook that does nothing and one nbconvert HTML export, timed whole by bench_run.

    .venv/bin/python benchmarks/floor.py OUT_DIR
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import nbformat
import papermill
from nbconvert import HTMLExporter

KERNEL = "python3"


def empty_notebook(path: Path) -> Path:
    cells = [
        nbformat.v4.new_code_cell('plan = "x"', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("1"),
    ]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "name": KERNEL,
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(notebook, path)
    return path


def pinned_kernel(folder: Path) -> None:
    """The same kernelspec csp run writes: this interpreter, errors only."""
    spec = folder / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    argv.append("--IPKernelApp.log_level=ERROR")
    kernel = {"argv": argv, "display_name": "Python 3", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")
    os.environ["JUPYTER_PATH"] = str(folder)


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as kernels:
        pinned_kernel(Path(kernels))
        source = empty_notebook(out / "empty.ipynb")
        for step in range(1, 4):
            papermill.execute_notebook(
                source, out / f"step{step}.ipynb", parameters={"plan": "y"}, progress_bar=False,
                kernel_name=KERNEL,
            )  # fmt: skip
    body, _ = HTMLExporter().from_notebook_node(nbformat.read(out / "step3.ipynb", as_version=4))
    (out / "floor.html").write_text(body, encoding="utf-8")


if __name__ == "__main__":
    main()
