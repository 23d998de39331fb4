"""The acceptance test: the real pipeline (papermill + nbconvert) on the generated sample reproduces
the real 2011/12 dashboard in ../shared/seed, read from there: 38 of 38 statuses and every comment."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pandas as pd
import papermill
import pytest
from shared_data import shared_path

from csp import config
from csp.errors import RunError
from csp.run.kernel import DASHBOARD_PRELOAD, DATA_PRELOAD, KERNEL_NAME, WarmKernel
from csp.run.pipeline import StepFailed, execute_step, run_quarter
from csp.store.processed import RunFolder

SEED = ("seed", "csp-performance-dashboard-2011-12.txt")
SYMBOLS = {"☺": "on_track", "☹": "off_track", "-": "no_data"}
KILLED = "its notebook kernel was stopped by SIGKILL (most often the system ran out of memory)"


def seed_rows() -> list[dict[str, str]]:
    """The seed dashboard's measure rows: theme, number, title, quarter statuses, comment."""
    rows, theme = [], ""
    for line in shared_path(*SEED).read_text(encoding="utf-8").splitlines():
        cells = line.split("\t")
        if len(cells) < 7 or not re.fullmatch(r"\d+\.\d+", cells[1].strip()):
            continue
        theme = cells[0].strip() or theme
        rows.append(
            {
                "theme": theme,
                "id": cells[1].strip(),
                "title": cells[2].strip(),
                "Q1": cells[3].strip(),
                "Q2": cells[4].strip(),
                "comment": cells[7].strip() if len(cells) > 7 else "",
            }
        )
    return rows


def read_statuses(run: SimpleNamespace) -> pd.DataFrame:
    return RunFolder(run.processed / "Q2").read_statuses()


def test_seed_statuses_reproduced_38_of_38(stockton_run: SimpleNamespace) -> None:
    statuses = read_statuses(stockton_run)
    seed = seed_rows()
    assert len(seed) == 19
    matched = 0
    for row in seed:
        for quarter in ("Q1", "Q2"):
            ours = statuses[
                (statuses["measure_id"] == row["id"]) & (statuses["quarter"] == quarter)
            ]
            assert len(ours) == 1, (row["id"], quarter)
            assert ours.iloc[0]["status"] == SYMBOLS[row[quarter]], (row["id"], quarter)
            matched += 1
    assert matched == 38


def test_statuses_csv_columns_and_values(stockton_run: SimpleNamespace) -> None:
    statuses = read_statuses(stockton_run)
    for column in (
        "measure_id",
        "theme",
        "measure",
        "quarter",
        "status",
        "actual",
        "target",
        "comment",
    ):
        assert column in statuses.columns
    assert set(statuses["quarter"]) == {"Q1", "Q2"}
    assert set(statuses["status"]) <= {"on_track", "off_track", "no_data"}
    seed = {r["id"]: r for r in seed_rows()}
    for row in statuses.itertuples():
        assert row.theme == seed[row.measure_id]["theme"]
        assert row.measure == seed[row.measure_id]["title"]


def test_every_q2_comment_equals_the_seed(stockton_run: SimpleNamespace) -> None:
    """Computed figures and the hand-written notes together give the seed's comments exactly."""
    statuses = read_statuses(stockton_run)
    q2 = statuses[statuses["quarter"] == "Q2"].set_index("measure_id")
    for row in seed_rows():
        assert q2.loc[row["id"], "comment"] == row["comment"], row["id"]


@pytest.mark.parametrize(
    ("measure_id", "figures"),
    [
        ("2.1", ["Increased in Q1", "reduced in Q2", "16% reduction on baseline YTD"]),
        ("3.1", ["26.8% (11 crimes) above the target"]),
        ("1.3", ["increased by 7%", "top five wards"]),
        ("3.2", ["increased by 4.3%", "12.2% reduction for Borough"]),
        ("4.3", ["52% (60 of 116)", "Figures up to Aug"]),
        ("5.2", ["four out of the five", "Tithe Barn Road in Hardwick (+6 offences)"]),
        ("6.1", ["Projection for year is 144", "-77 (34.8%)"]),
        ("6.2", ["27 out of 29"]),
    ],
)
def test_comment_figures_are_computed(
    stockton_run: SimpleNamespace, measure_id: str, figures: list[str]
) -> None:
    statuses = read_statuses(stockton_run)
    comment = statuses[(statuses["measure_id"] == measure_id) & (statuses["quarter"] == "Q2")].iloc[
        0
    ]["comment"]
    for figure in figures:
        assert figure in comment


def test_related_figures_explain_apparent_disagreements(stockton_run: SimpleNamespace) -> None:
    """1.3 is judged on all three agencies (down) while its comment reports police alone (up);
    3.2 is judged on the top five wards while its comment adds the borough."""
    statuses = read_statuses(stockton_run).set_index(["measure_id", "quarter"])
    asb = statuses.loc[("1.3", "Q2")]
    assert asb["status"] == "on_track" and asb["actual"] < asb["baseline"]
    assert "increased" in asb["comment"]
    violence = statuses.loc[("3.2", "Q2")]
    assert violence["status"] == "off_track" and violence["actual"] > violence["baseline"]
    assert "reduction for Borough" in violence["comment"]


def test_q1_comment_is_what_q1_said(stockton_run: SimpleNamespace) -> None:
    statuses = read_statuses(stockton_run).set_index(["measure_id", "quarter"])
    assert statuses.loc[("2.1", "Q1"), "comment"].startswith("Increased in Q1, currently")
    assert "Q2" not in statuses.loc[("2.1", "Q1"), "comment"]


def test_hand_written_notes_come_from_the_files(
    stockton_run: SimpleNamespace, sample_raw: Path
) -> None:
    commentary = pd.read_csv(sample_raw / "2011-12" / "commentary.csv", dtype=str)
    availability = pd.read_csv(sample_raw / "2011-12" / "availability.csv", dtype=str)
    statuses = read_statuses(stockton_run).set_index(["measure_id", "quarter"])
    for note in commentary.itertuples():
        assert note.note in statuses.loc[(note.measure, note.quarter), "comment"]
    # An analyst's note on a measure comes first in its comment; the survey not carried out is
    # measure 1.2's reason (its comment is the analyst's own, from commentary.csv).
    measures = {"ndtms_clients": "4.1", "ndtms_exits": "4.3", "perception_survey": "1.2"}
    assert sorted(availability["source"]) == sorted(measures)
    for row in availability.itertuples():
        shown = statuses.loc[(measures[row.source], "Q2")]
        if row.source == "perception_survey":
            assert shown["reason"] == f"not yet published: {row.note}"
        else:
            assert shown["comment"].startswith(row.note)


class _Page(HTMLParser):
    """Collects what a reader's browser would fetch, and the status cells with their text."""

    def __init__(self) -> None:
        super().__init__()
        self.fetches: list[str] = []
        self.cells: list[dict[str, str]] = []
        self._cell: dict[str, str] | None = None
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            self.scripts += 1
        for key in ("src", "href"):
            value = attributes.get(key) or ""
            if value and not value.startswith(("data:", "#")):
                self.fetches.append(value)
        if tag == "td" and "data-status" in attributes:
            self._cell = {
                "status": attributes["data-status"],
                "quarter": attributes["data-quarter"],
                "text": "",
            }

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.cells.append(self._cell)
            self._cell = None


def test_dashboard_html_is_self_contained_and_shows_the_seed_table(
    stockton_run: SimpleNamespace,
) -> None:
    html = (stockton_run.reports / "Q2" / "dashboard.html").read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    assert page.fetches == [] and page.scripts == 0
    assert "http://" not in html and "https://" not in html
    assert "require.js" not in html and "mathjax" not in html.lower()
    for header in (
        "Theme",
        "No",
        "Performance Measure",
        "Qu 1",
        "Qu 2",
        "Qu 3",
        "Qu 4",
        "Comments",
    ):
        assert f">{header}</th>" in html
    assert len(page.cells) == 38
    labels = {
        "on_track": ("☺", "On track"),
        "off_track": ("☹", "Off track"),
        "no_data": ("-", "No data"),
    }
    for cell in page.cells:
        symbol, label = labels[cell["status"]]
        assert cell["text"].startswith(symbol)  # what a sighted reader sees
        assert label in cell["text"]  # the text alternative a screen reader announces
    for row in seed_rows():
        assert row["comment"].replace("&", "&amp;") in html
    assert "injected-parameters" not in html and "processed_dir" not in html
    assert html.count('src="data:image/png;base64,') >= 6
    assert len(html.encode("utf-8")) < 1_000_000  # small enough to email
    assert "No description has been provided" not in html


def test_dashboard_has_theme_charts_and_data_quality(stockton_run: SimpleNamespace) -> None:
    html = (stockton_run.reports / "Q2" / "dashboard.html").read_text(encoding="utf-8")
    for theme in (
        "Anti-social behaviour",
        "Alcohol",
        "Violence",
        "Drugs",
        "Criminal Damage",
        "Emerging issue",
    ):
        assert f">{theme}</h2>" in html
    assert "Data quality" in html
    assert "exact duplicate rows dropped" in html
    assert "blank lines skipped" in html
    assert (
        "ward spellings matched to the plan&#39;s wards: 6 values, e.g. &#39;B… (23 chars)&#39;"
        in html
    )
    assert "Mandale &amp; Victoria" not in html  # ward cells may hold anything: masked
    assert "in no ward): 2 values, e.g. &#39;J… (66 chars)&#39;" in html
    assert "NDTMS clients in treatment, 2011-12 Q2: not yet published" in html
    assert "ATR and ASAR cohort offending, 2010-11 Q1 to Q4: missing" in html


def test_run_keeps_executed_notebooks_beside_the_report(stockton_run: SimpleNamespace) -> None:
    folder = stockton_run.reports / "Q2"
    for name in (
        "01_clean.ipynb",
        "02_measures.ipynb",
        "03_dashboard.ipynb",
        "dashboard.html",
        "statuses.csv",
    ):
        assert (folder / name).exists()
    assert not list(stockton_run.reports.glob(".*staging*"))
    assert any("[3/3]" in m for m in stockton_run.messages)
    assert stockton_run.dashboards[1] == folder / "dashboard.html"


def _tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def broken_raw(sample_raw: Path, tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    shutil.copytree(sample_raw, raw)
    return raw


def _run_failing(raw: Path, stockton_run: SimpleNamespace) -> tuple[RunError, Path]:
    """Run Q2 over the good session report; return the error and the untouched report folder."""
    folder = stockton_run.reports / "Q2"
    before = _tree_digest(folder)
    with pytest.raises(RunError) as caught:
        run_quarter(
            "stockton",
            "2011-12",
            2,
            raw_dir=raw,
            processed_root=stockton_run.processed.parents[1],
            reports_root=stockton_run.reports_root,
            progress=lambda _: None,
        )
    assert _tree_digest(folder) == before, "a failed run must leave the last good report untouched"
    assert not list(stockton_run.reports.glob(".*staging*"))
    assert caught.value.notebook is not None and caught.value.notebook.exists()
    return caught.value, folder


def test_missing_column_stops_the_run_naming_file_column_row(
    broken_raw: Path, stockton_run
) -> None:
    path = broken_raw / "2011-12" / "Q2" / "section27.csv"
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table.drop(columns=["Ward"]).to_csv(path, index=False)
    error, _ = _run_failing(broken_raw, stockton_run)
    message = str(error)
    assert "section27.csv" in message and "'Ward'" in message and "row 1" in message
    assert "01_clean" in message and error.notebook.name == "01_clean.ipynb"


def test_unparseable_date_stops_the_run_naming_file_column_row(
    broken_raw: Path, stockton_run
) -> None:
    path = broken_raw / "2011-12" / "Q1" / "police_crime.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[4].split(",")
    cells[1] = "31/02/2011"
    lines[4] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    error, _ = _run_failing(broken_raw, stockton_run)
    message = str(error)
    assert "police_crime.csv" in message and "row 5" in message and "'Date Recorded'" in message
    assert "'3… (10 chars)' is not a date" in message and "dd/mm/yyyy" in message
    assert "31/02/2011" not in message  # the value is masked: it could be a date of birth


def test_absent_extract_gives_no_data_and_a_data_quality_line(
    broken_raw: Path, tmp_path: Path
) -> None:
    (broken_raw / "2011-12" / "Q2" / "section27.csv").unlink()
    dashboard = run_quarter(
        "stockton",
        "2011-12",
        2,
        raw_dir=broken_raw,
        processed_root=tmp_path / "processed",
        reports_root=tmp_path / "reports",
        progress=lambda _: None,
    )
    statuses = RunFolder(tmp_path / "processed" / "stockton" / "2011-12" / "Q2").read_statuses()
    row = statuses[(statuses["measure_id"] == "2.1") & (statuses["quarter"] == "Q2")].iloc[0]
    assert row["status"] == "no_data"
    assert row["reason"] == "extract missing (section27 2011-12 Q2)"
    assert "extract missing" in row["comment"]
    q1 = statuses[(statuses["measure_id"] == "2.1") & (statuses["quarter"] == "Q1")].iloc[0]
    assert q1["status"] == "on_track"
    html = dashboard.read_text(encoding="utf-8")
    assert "Section 27 dispersal directions, 2011-12 Q2: missing" in html


def test_statuses_carry_significance_projection_and_spc(stockton_run: SimpleNamespace) -> None:
    statuses = read_statuses(stockton_run).set_index(["measure_id", "quarter"])
    for column in (
        "p_value",
        "significance",
        "projection",
        "projection_low",
        "projection_high",
        "variation",
        "assurance",
    ):
        assert column in statuses.columns
    msv = statuses.loc[("3.1", "Q2")]
    # 52 crimes against a YTD target of 41: off track, yet within normal variation.
    assert (msv["actual"], msv["target"], msv["status"]) == (52, 41, "off_track")
    assert msv["significance"] == "within normal variation"
    assert 0.10 < msv["p_value"] < 0.12
    hcc = statuses.loc[("6.1", "Q2")]
    assert hcc["projection_low"] < hcc["projection"] == 144 < hcc["projection_high"]
    judged = statuses[statuses["status"] != "no_data"]
    assert judged["significance"].isin(["better", "worse", "within normal variation"]).all()
    assert (judged["projection_low"] <= judged["projection"]).all()


def test_dashboard_explains_significance_markers(stockton_run: SimpleNamespace) -> None:
    html = (stockton_run.reports / "Q2" / "dashboard.html").read_text(encoding="utf-8")
    assert "beyond normal variation" in html and "within normal variation" in html
    assert "Within normal variation: no sign of real change." in html
    assert "Control charts for Violence" in html


def test_the_warm_kernel_starts_each_step_with_an_empty_namespace(tmp_path: Path) -> None:
    """One kernel serves the three steps, but a step never sees the variables of the one before:
    each notebook is as honest a record as if it had run alone."""
    first = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("left_over = 42")])
    second = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("print('left_over' in globals(), 'json' in sys.modules)")]
    )
    second.cells.insert(0, nbformat.v4.new_code_cell("import sys"))
    first.cells.insert(0, nbformat.v4.new_code_cell("import json"))
    for notebook in (first, second):
        notebook.metadata["kernelspec"] = {
            "name": KERNEL_NAME,
            "language": "python",
            "display_name": "",
        }
    with WarmKernel(tmp_path) as kernel:
        papermill.execute_notebook(
            first, tmp_path / "1.ipynb", kernel_name=KERNEL_NAME, km=kernel.ready()
        )
        kernel.reset()
        done = papermill.execute_notebook(
            second, tmp_path / "2.ipynb", kernel_name=KERNEL_NAME, km=kernel.ready()
        )
        kernel.reset()  # and again: a reset after a papermill execution is answered
    assert done.cells[1].outputs[0]["text"].strip() == "False True"  # variables gone, modules kept


@pytest.mark.parametrize(
    ("preload", "step"),
    [(DATA_PRELOAD, "csp.steps.measure"), (DASHBOARD_PRELOAD, "csp.steps.render")],
)
def test_a_warm_kernel_has_its_steps_imported_before_its_first_step(
    tmp_path: Path, preload: str, step: str
) -> None:
    """`csp run` starts the data kernel first and has it import the stack of cleaning and measures
    while the run's own process imports papermill, and the dashboard's while the measures run; by
    a kernel's first notebook those modules are loaded."""
    probe = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(f"import sys; print({step!r} in sys.modules)")]
    )
    probe.metadata["kernelspec"] = {"name": KERNEL_NAME, "language": "python", "display_name": ""}
    with WarmKernel(tmp_path, preload) as kernel:
        done = papermill.execute_notebook(
            probe, tmp_path / "probe.ipynb", kernel_name=KERNEL_NAME, km=kernel.ready()
        )
    assert done.cells[0].outputs[0]["text"].strip() == "True"


def test_code_a_warm_kernel_is_also_given_runs_before_its_first_step(tmp_path: Path) -> None:
    """What the run asks of the data kernel after starting it (the inputs' checksums) is done,
    after the preload, by the time its first notebook runs."""
    probe = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("import csp; print(csp.__dict__.pop('told', None))")]
    )
    probe.metadata["kernelspec"] = {"name": KERNEL_NAME, "language": "python", "display_name": ""}
    with WarmKernel(tmp_path, "import csp") as kernel:
        kernel.also_run("import csp; csp.told = 'after the preload'")
        done = papermill.execute_notebook(
            probe, tmp_path / "probe.ipynb", kernel_name=KERNEL_NAME, km=kernel.ready()
        )
    assert done.cells[0].outputs[0]["text"].strip() == "after the preload"


def test_the_kernel_is_stopped_at_once_without_an_interrupt(tmp_path: Path) -> None:
    """jupyter_client's shutdown_kernel() sends SIGINT before its shutdown request; landing while the
    kernel was still in the handler of papermill's last kernel_info request, it printed
    `[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel.` in about 1 successful run in 7. An
    idle kernel with nothing left to save is killed instead (a clean shutdown took 0.7 s)."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    notebook.metadata["kernelspec"] = {
        "name": KERNEL_NAME,
        "language": "python",
        "display_name": "",
    }
    signals: list[int] = []
    with WarmKernel(tmp_path) as warm:
        kernel = warm.ready()
        send_signal = kernel.provisioner.send_signal

        async def recorded(signum: int) -> None:
            signals.append(signum)
            await send_signal(signum)

        kernel.provisioner.send_signal = recorded
        papermill.execute_notebook(
            notebook, tmp_path / "1.ipynb", kernel_name=KERNEL_NAME, km=kernel, progress_bar=False
        )
    assert signal.SIGINT not in signals
    assert signals == [signal.SIGKILL]
    assert not kernel.has_kernel


def test_kernel_after_kernel_in_one_process_keeps_no_handles_open(tmp_path: Path) -> None:
    """A Dask worker runs plan after plan in one process. papermill leaves open the client it
    makes from the kernel it is given (sockets, a zmq context, their threads' event handles:
    about 30 a run, until the process ran out); each is closed when its step is done."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    notebook.metadata["kernelspec"] = {
        "name": KERNEL_NAME,
        "language": "python",
        "display_name": "",
    }
    handles = []
    for run in range(2):
        with WarmKernel(tmp_path) as kernel:
            for step in range(2):
                if step:
                    kernel.reset()
                papermill.execute_notebook(
                    notebook,
                    tmp_path / f"{run}-{step}.ipynb",
                    kernel_name=KERNEL_NAME,
                    km=kernel.ready(),
                    progress_bar=False,
                )
        handles.append(len(os.listdir("/proc/self/fd")))
    assert handles[1] == handles[0]


def notebooks_with(folder: Path, step: str, *cells: nbformat.NotebookNode) -> Path:
    """A notebooks folder holding one step's notebook of `cells`, in the run's kernel."""
    folder.mkdir()
    notebook = nbformat.v4.new_notebook(cells=list(cells))
    notebook.metadata["kernelspec"] = {
        "name": KERNEL_NAME,
        "language": "python",
        "display_name": "",
    }
    nbformat.write(notebook, folder / f"{step}.ipynb")
    return folder


def test_a_kernel_that_dies_in_a_step_fails_the_step_instead_of_hanging(tmp_path: Path) -> None:
    """A data kernel killed mid-step (out of memory at a force's scale, or a mapped extract cut
    short) used to leave `csp run` waiting for ever, holding the quarter's lock: papermill's wait
    for output blocked the check that the kernel is alive. The step now fails, saying why once
    (papermill's logger printed it again). In a process of its own, so a hang is a timeout."""
    parameters = nbformat.v4.new_code_cell("plan = ''")
    parameters.metadata["tags"] = ["parameters"]
    dies = nbformat.v4.new_code_cell("import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    notebooks = notebooks_with(tmp_path / "notebooks", "01_clean", parameters, dies)
    (tmp_path / "stage").mkdir()
    code = (
        "from pathlib import Path\n"
        "from csp import config\n"
        f"config.NOTEBOOKS_DIR = Path({str(notebooks)!r})\n"
        "from csp.run.pipeline import StepFailed, execute_steps\n"
        "try:\n"
        f"    execute_steps({{'plan': 'x'}}, Path({str(tmp_path / 'stage')!r}), print, None)\n"
        "except StepFailed as failed:\n"
        "    print(failed.step, '|', failed.reason)\n"
    )
    done = subprocess.run(  # the timeout bounds a hang; it fails in seconds
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.splitlines()[-1] == f"01_clean | 01_clean failed: {KILLED}"
    assert "Kernel died" not in done.stderr


def test_a_kernel_that_died_before_its_step_fails_the_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dashboard's kernel, warmed while the data kernel works, killed before its turn: its
    preload is not waited for, and the step fails saying why (it was a traceback)."""
    notebooks = notebooks_with(
        tmp_path / "notebooks", "03_dashboard", nbformat.v4.new_code_cell("x = 1")
    )
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", notebooks)
    with WarmKernel(tmp_path, DASHBOARD_PRELOAD) as warm:
        warm.manager.signal_kernel(signal.SIGKILL)
        with pytest.raises(StepFailed) as caught:
            execute_step("03_dashboard", {}, tmp_path, warm.ready())
    assert caught.value.reason == f"03_dashboard failed: {KILLED}"


def test_a_cell_past_the_time_limit_fails_the_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kernel alive but stuck (a hung network mount) held the run, and its quarter's lock, for
    ever: a scheduled quarter answered "in progress" every day after. A cell past the limit now
    fails its step (and the kernel is stopped with the run)."""
    stuck = nbformat.v4.new_code_cell("time.sleep(600)")
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", notebooks_with(tmp_path / "nb", "01_clean", stuck))
    monkeypatch.setenv("CSP_CELL_TIME_LIMIT", "2")
    with WarmKernel(tmp_path, "import time") as warm:
        with pytest.raises(StepFailed) as caught:
            execute_step("01_clean", {}, tmp_path, warm.ready())
        kernel = warm.ready()
    assert caught.value.reason == (
        "01_clean failed: a cell ran past the limit of 2 s (CSP_CELL_TIME_LIMIT) and was stopped"
    )
    assert not kernel.has_kernel


def test_a_kernel_that_died_between_steps_is_named_by_its_reset(tmp_path: Path) -> None:
    """The data kernel killed after cleaning, before the measures: the reset says how it died
    instead of waiting a minute for a reply that never comes."""
    with WarmKernel(tmp_path, "import json") as warm:
        warm.ready().signal_kernel(signal.SIGKILL)
        with pytest.raises(RunError, match=f"^between steps, {re.escape(KILLED)}$"):
            warm.reset()
