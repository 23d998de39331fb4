"""Comparing partnerships (csp.stats.funnel, csp.report.peers): the funnel limits against a direct
computation, which partnerships are compared and which are left out with their reason, the page a
board reads, and the four Cleveland partnerships on the real police.uk download."""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import test_browser
import yaml
from scipy.stats import binom

from csp import cli, config
from csp.errors import PeersError, PlanError
from csp.plan.quarter import QuarterRun
from csp.report import index, peer_figures, peers, workbook
from csp.stats import funnel
from csp.steps import clean as clean_step
from csp.steps import measure as measure_step
from csp.store.processed import RunFolder

Captured = pytest.CaptureFixture[str]
browser = test_browser.browser  # the dashboard tests' Chromium, for the page's own checks
LIMIT_QUANTILES = {"lower_99_8": 0.001, "lower_95": 0.025, "upper_95": 0.975, "upper_99_8": 0.999}
STATUS_HEADER = [
    "plan", "year", "measure_id", "measure", "quarter", "status", "actual", "baseline",
    "numerator", "denominator", "first_month", "last_month", "reason",
]  # fmt: skip


# --- the limits, against a direct computation --------------------------------------------------


def summed_limit_count(q: float, n: int, p: float) -> float:
    """Spiegelhalter's interpolated quantile, by summing the binomial probabilities one by one."""
    pmf = [
        math.exp(
            math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
            + (k * math.log(p) if k else 0.0) + ((n - k) * math.log1p(-p) if n - k else 0.0)
        )
        for k in range(n + 1)
    ]  # fmt: skip
    below = 0.0
    for r, probability in enumerate(pmf):
        if below + probability >= q:
            return max(r - (below + probability - q) / probability, 0.0)
        below += probability
    return float(n)


@pytest.mark.parametrize("n", [1, 2, 7, 30, 151, 600])
@pytest.mark.parametrize("p", [0.05, 0.3, 0.5, 0.62, 0.97])
def test_limit_counts_equal_summed_probabilities(n: int, p: float) -> None:
    counts = funnel.limit_counts(np.array([float(n)]), p)
    for name, q in LIMIT_QUANTILES.items():
        assert counts[name][0] == pytest.approx(summed_limit_count(q, n, p), abs=1e-9), name


def test_quantiles_equal_scipy_stats_over_large_counts() -> None:
    rng = np.random.default_rng(12)
    n = rng.integers(1, 40_000, 400).astype(float)
    for p in (0.2, 0.47, 0.81):
        for q in LIMIT_QUANTILES.values():
            ours = funnel.binomial_quantile(q, n, p)
            assert np.array_equal(ours, binom.ppf(q, n.astype(int), p))


def test_limits_widen_as_the_baseline_shrinks_and_hold_the_pooled_ratio() -> None:
    """The funnel: at the pooled ratio R, the limits close in on R as counts grow."""
    baselines = np.array([10.0, 100.0, 1_000.0, 10_000.0])
    curves = funnel.funnel_curves(baselines, 0.55)
    pooled = 0.55 / 0.45
    for low, high in (("lower_99_8", "upper_99_8"), ("lower_95", "upper_95")):
        widths = curves[high] - curves[low]
        assert np.all(np.diff(widths) < 0)
        assert np.all((curves[low] < pooled) & (pooled < curves[high]))
    assert np.all(curves["lower_99_8"] < curves["lower_95"])
    assert np.all(curves["upper_95"] < curves["upper_99_8"])


def test_a_count_on_its_limit_is_within() -> None:
    counts = {"lower_99_8": 80.0, "lower_95": 85.0, "upper_95": 115.0, "upper_99_8": 120.0}
    assert [funnel.flag(a, counts) for a in (79, 80, 84, 85, 115, 116, 120, 121)] == [
        "below 99.8%", "below 95%", "below 95%", "within",
        "within", "above 95%", "above 95%", "above 99.8%",
    ]  # fmt: skip


# --- synthetic reports ------------------------------------------------------------------------------


def measure(mid: str, title: str, metric: dict[str, object], **more: object) -> dict[str, object]:
    entry = {"id": mid, "title": title, "direction": "reduce", "target": "baseline"}
    return {**entry, **more, "metric": {"sources": "crime", **metric}}


def write_plan(folder: Path, name: str, area: str, population: int, c4_title: str) -> Path:
    """A calendar-year police.uk plan with a count, a rate, a proportion, a measure whose title
    depends on the plan, and one with an annual baseline."""
    rate = {"population": {"value": population, "source": "test"}, "per": 1000}
    plan = {
        "plan": name,
        "partnership": f"{area} Community Safety Partnership",
        "area": area,
        "year_start": "january",
        "years": ["2024", "2025"],
        "lsoas": {"E01000001": "Ward"},
        "extracts": {"crime": {"source": "police_uk", "options": {"force": "cleveland"}}},
        "themes": [
            {
                "theme": "Crime",
                "measures": [
                    measure("C1", "Reduce crime", {"kind": "count", "unit": "crimes"}),
                    measure("C2", "Reduce crime per 1,000 residents", {"kind": "rate", **rate}),
                    measure(
                        "C3",
                        "Burglary as a share of crime",
                        {"kind": "proportion", "numerator": {"crime_type": "Burglary"}},
                    ),
                    measure("C4", c4_title, {"kind": "count"}),
                    measure("C5", "Reduce robbery", {"kind": "count"}, baseline={"annual": 80}),
                ],
            }
        ],
    }
    path = folder / f"{name}.yml"
    path.write_text(yaml.safe_dump(plan, sort_keys=False), encoding="utf-8")
    return path


# name -> (area, population, C1 this year and baseline, C1 status, C4 title)
AREAS = {
    "t-north": ("North", 50_000, (1300, 1000), "off_track", "Reduce ASB"),
    "t-south": ("South & <Sons>", 80_000, (800, 1000), "on_track", "Reduce ASB"),
    "t-east": ("East", 120_000, (2000, 2050), "on_track", "Reduce ASB"),
    "t-west": ("West", 20_000, (480, 500), "on_track", "Reduce anti-social behaviour"),
    "t-central": ("Central", 60_000, (0, 0), "no_data", "Reduce ASB"),
}
NO_DATA_REASON = "extract missing (crime 2025 Q2)"


def status_rows(name: str, population: int, actual: int, baseline: int, status: str) -> list:
    """The report's rows for Q2 (and Q1 rows with other figures, which must be ignored)."""
    reason = NO_DATA_REASON if status == "no_data" else ""
    figure = "" if status == "no_data" else None

    def row(mid: str, quarter: str, a: object, b: object, **more: object) -> dict[str, object]:
        months = ("2025-01", "2025-06") if quarter == "Q2" else ("2025-01", "2025-03")
        return {
            "plan": name, "year": "2025", "measure_id": mid, "measure": "", "quarter": quarter,
            "status": status, "actual": a if figure is None else "", "numerator": "",
            "baseline": b if figure is None else "", "denominator": "", "first_month": months[0],
            "last_month": months[1], "reason": reason, **more,
        }  # fmt: skip

    rate = 1000 / population
    return [
        row("C1", "Q1", actual // 3, baseline // 2),
        row("C1", "Q2", actual, baseline),
        row("C2", "Q2", actual * rate, baseline * rate, numerator=actual, denominator=population),
        row("C3", "Q2", 12.5, 11.0, numerator=actual // 8, denominator=actual),
        row("C4", "Q2", actual // 2, baseline // 2),
        row("C5", "Q2", actual // 10, 40.0),
    ]


@pytest.fixture
def synthetic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """Five plans in plans/ and their 2025 Q2 reports (statuses.csv as readers get it)."""
    plans_dir, reports = tmp_path / "plans", tmp_path / "reports"
    plans_dir.mkdir()
    monkeypatch.setattr(config, "PLANS_DIR", plans_dir)
    for name, (area, population, (actual, baseline), status, c4_title) in AREAS.items():
        write_plan(plans_dir, name, area, population, c4_title)
        folder = reports / name / "2025" / "Q2"
        folder.mkdir(parents=True)
        (folder / "dashboard.html").write_text("<!DOCTYPE html><title>d</title>", "utf-8")
        rows = status_rows(name, population, actual, baseline, status)
        pd.DataFrame(rows, columns=STATUS_HEADER).to_csv(folder / "statuses.csv", index=False)
    return SimpleNamespace(plans=list(AREAS), reports=reports)


def read_peers(page: Path) -> pd.DataFrame:
    return pd.read_csv(page.with_name("peers.csv"), dtype={"measure_id": str})


def direct_limits(actual: float, baseline: float, pooled_share: float) -> dict[str, float]:
    """The four limits for one partnership, from scipy.stats.binom."""
    n = int(actual + baseline)
    limits = {}
    for name, q in LIMIT_QUANTILES.items():
        r = binom.ppf(q, n, pooled_share)
        count = max(r - (binom.cdf(r, n, pooled_share) - q) / binom.pmf(r, n, pooled_share), 0)
        limits[name] = count / (n - count) if count < n else math.inf
    return limits


def direct_flag(ratio: float, limits: dict[str, float]) -> str:
    if ratio > limits["upper_99_8"]:
        return "above 99.8%"
    if ratio > limits["upper_95"]:
        return "above 95%"
    if ratio < limits["lower_99_8"]:
        return "below 99.8%"
    return "below 95%" if ratio < limits["lower_95"] else "within"


def assert_limits_are_direct(table: pd.DataFrame, counts: dict[str, tuple[float, float]]) -> None:
    """Every compared row's ratio, limits and flag against their direct computation from
    `counts` (plan -> this year, baseline), pooled over the plans given."""
    total_actual, total_baseline = (sum(pair) for pair in zip(*counts.values(), strict=True))
    share = total_actual / (total_actual + total_baseline)
    assert sorted(table["plan"]) == sorted(counts)
    for row in table.itertuples():
        actual, baseline = counts[row.plan]
        assert (row.actual, row.baseline) == (actual, baseline)
        assert row.ratio == pytest.approx(actual / baseline, rel=1e-12)
        limits = direct_limits(actual, baseline, share)
        for name, value in limits.items():
            assert getattr(row, name) == pytest.approx(value, rel=1e-9), (row.plan, name)
        assert row.flag == direct_flag(actual / baseline, limits), row.plan
        assert row.pooled_ratio == pytest.approx(total_actual / total_baseline, rel=1e-12)


def test_counts_are_pooled_and_flagged_as_a_direct_computation_does(
    synthetic: SimpleNamespace,
) -> None:
    page = peers.write_peers(synthetic.plans, "2025", 2, synthetic.reports)
    table = read_peers(page)
    c1 = table[(table["measure_id"] == "C1") & (table["flag"] != "not compared")]
    counts = {n: tuple(map(float, AREAS[n][2])) for n in AREAS if AREAS[n][3] != "no_data"}
    assert_limits_are_direct(c1, counts)
    assert set(c1["flag"]) >= {"above 99.8%", "below 99.8%"}  # north and south, far apart


def test_a_partnership_with_no_data_is_left_out_with_its_reason(
    synthetic: SimpleNamespace,
) -> None:
    page = peers.write_peers(synthetic.plans, "2025", 2, synthetic.reports)
    central = read_peers(page).set_index(["plan", "measure_id"]).loc[("t-central", "C1")]
    assert central["flag"] == "not compared"
    assert central["reason"] == f"no data: {NO_DATA_REASON}"
    assert math.isnan(central["ratio"]) and math.isnan(central["upper_95"])
    html = page.read_text(encoding="utf-8")
    assert f"Central: no data: {NO_DATA_REASON}" in html


def test_a_rate_is_compared_on_its_counts_and_shown_per_1000_residents(
    synthetic: SimpleNamespace,
) -> None:
    page = peers.write_peers(synthetic.plans, "2025", 2, synthetic.reports)
    table = read_peers(page)
    c1 = table[table["measure_id"] == "C1"].set_index("plan")
    c2 = table[(table["measure_id"] == "C2") & (table["flag"] != "not compared")].set_index("plan")
    for plan, row in c2.iterrows():
        population = AREAS[plan][1]
        assert row["residents"] == population
        assert (row["actual"], row["baseline"]) == tuple(AREAS[plan][2])
        assert row["rate_per_1000"] == pytest.approx(AREAS[plan][2][0] * 1000 / population)
        for column in ("ratio", "flag", *LIMIT_QUANTILES):
            assert row[column] == c1.loc[plan, column]  # the same counts: the same funnel
    html = page.read_text(encoding="utf-8")
    assert '<td class="num">26.00</td>' in html  # North: 1,300 crimes among 50,000 residents
    # 4,580 crimes among 270,000 residents this year, 4,550 in the baseline
    assert "all the partnerships together: 16.96 per 1,000 residents this year, 16.85" in html


def test_figures_that_are_no_counts_are_not_compared(synthetic: SimpleNamespace) -> None:
    """A percentage, and a baseline shared out of an annual figure, are no counts of events."""
    page = peers.write_peers(synthetic.plans, "2025", 2, synthetic.reports)
    table = read_peers(page)
    for mid, reason in (
        ("C3", "a proportion is not a count of events"),
        ("C5", peer_figures.ANNUAL_BASELINE),
    ):
        rows = table[table["measure_id"] == mid]
        assert set(rows["flag"]) == {"not compared"}
        assert rows["ratio"].isna().all()
        assert set(rows[rows["plan"] != "t-central"]["reason"]) == {reason}, mid
    html = page.read_text(encoding="utf-8")
    assert "C3 Burglary as a share of crime: a proportion is not a count of events" in html
    assert "C5 Reduce robbery: fewer than two partnerships have counts to compare" in html
    assert f"<li>West: {peer_figures.ANNUAL_BASELINE}</li>" in html


def test_a_partnership_with_none_in_its_baseline_is_placed_but_not_drawn(
    synthetic: SimpleNamespace,
) -> None:
    """Its ratio is infinite: the binomial still places it (all of its n are this year's)."""
    statuses = synthetic.reports / "t-west" / "2025" / "Q2" / "statuses.csv"
    rows = status_rows("t-west", 20_000, 12, 0, "on_track")
    pd.DataFrame(rows, columns=STATUS_HEADER).to_csv(statuses, index=False)
    page = peers.write_peers(synthetic.plans, "2025", 2, synthetic.reports)
    west = read_peers(page).set_index(["plan", "measure_id"]).loc[("t-west", "C1")]
    assert (west["ratio"], west["flag"]) == (math.inf, "above 99.8%")
    assert "West is above the 99.8% limit for C1 Reduce crime: 12 crimes" in page.read_text("utf-8")


def test_a_measure_the_plans_title_differently_is_not_pooled(synthetic: SimpleNamespace) -> None:
    page = peers.write_peers(synthetic.plans, "2025", 2, synthetic.reports)
    c4 = read_peers(page).query("measure_id == 'C4'")
    assert set(c4["flag"]) == {"not compared"}
    reason = c4["reason"].iloc[0]
    assert reason.startswith("the plans title C4 differently")
    assert "West: 'Reduce anti-social behaviour'" in reason and "North: 'Reduce ASB'" in reason


def test_the_page_names_the_partnerships_outside_the_limits_in_words(
    synthetic: SimpleNamespace,
) -> None:
    page = peers.write_peers(synthetic.plans, "2025", 2, synthetic.reports)
    html = page.read_text(encoding="utf-8")
    assert (
        "North is above the 99.8% limit for C1 Reduce crime: 1,300 crimes in Jan 2025 to "
        "Jun 2025 against 1,000 in the same months of 2024, a ratio of 1.30 against 1.01 for the "
        "4 partnerships together."
    ) in html
    assert "South &amp; &lt;Sons&gt; is below the 99.8% limit for C1" in html
    assert "<Sons>" not in html
    assert html.count('src="data:image/png;base64,') == 2  # C1 and C2: nothing fetched
    assert 'href="../../../t-north/2025/Q2/dashboard.html"' in html


def test_the_index_links_the_comparison(synthetic: SimpleNamespace) -> None:
    page = peers.write_peers(synthetic.plans, "2025", 2, synthetic.reports)
    html = (synthetic.reports / "index.html").read_text(encoding="utf-8")
    assert (
        '<a href="peers/2025/Q2/peers.html">2025 as at end of Q2 (April to June 2025)</a>' in html
    )
    assert "5 partnerships, 2 measures compared" in html  # C1 and C2
    assert [e.link for e in index.peers_entries(synthetic.reports)] == ["peers/2025/Q2/peers.html"]
    assert page == synthetic.reports / "peers" / "2025" / "Q2" / "peers.html"


def test_a_failed_comparison_leaves_the_last_one_as_it_was(
    synthetic: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = peers.write_peers(synthetic.plans, "2025", 2, synthetic.reports)
    before = {p.name: p.read_bytes() for p in page.parent.iterdir()}

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("chart failed")

    monkeypatch.setattr(peers, "peers_page", broken)
    (synthetic.reports / "t-north" / "2025" / "Q2" / "statuses.csv").write_text(
        ",".join(STATUS_HEADER) + "\n", encoding="utf-8"
    )
    with pytest.raises(RuntimeError, match="chart failed"):
        peers.write_peers(synthetic.plans, "2025", 2, synthetic.reports)
    assert {p.name: p.read_bytes() for p in page.parent.iterdir()} == before
    assert sorted(p.name for p in page.parent.parent.iterdir()) == ["Q2"]  # no staging left


def test_a_plan_without_its_report_is_named(synthetic: SimpleNamespace) -> None:
    shutil.rmtree(synthetic.reports / "t-west")
    page = peers.write_peers(synthetic.plans, "2025", 2, synthetic.reports)
    west = read_peers(page).query("plan == 't-west' and measure_id in ['C1', 'C2', 'C5']")
    assert set(west["reason"]) == {
        "no report of 2025 Q2 (" + str(synthetic.reports / "t-west/2025/Q2/statuses.csv")
        + " not found)"
    }  # fmt: skip
    for name in ("t-north", "t-south", "t-east"):
        shutil.rmtree(synthetic.reports / name)
    with pytest.raises(PeersError, match=r"two plans or more .*t-north: no report of 2025 Q2"):
        peers.write_peers(synthetic.plans, "2025", 2, synthetic.reports)


def test_a_report_without_the_columns_needed_is_refused_naming_it(
    synthetic: SimpleNamespace,
) -> None:
    statuses = synthetic.reports / "t-east" / "2025" / "Q2" / "statuses.csv"
    statuses.write_text("measure_id,quarter,status\nC1,Q2,on_track\n", encoding="utf-8")
    with pytest.raises(PeersError, match=r"t-east/2025/Q2/statuses.csv: no column actual"):
        peers.write_peers(synthetic.plans, "2025", 2, synthetic.reports)


def test_matching_plans_takes_a_pattern_and_names_the_plans_when_none_match(
    synthetic: SimpleNamespace,
) -> None:
    assert config.matching_plans("t-*") == sorted(AREAS)
    assert config.matching_plans("t-[ns]*") == ["t-north", "t-south"]
    assert config.matching_plans("t-east") == ["t-east"]
    with pytest.raises(PlanError, match=r"no plan matches the pattern \(known plans: t-central"):
        config.matching_plans("cleveland-*")


def test_csp_peers_on_the_command_line(synthetic: SimpleNamespace, capsys: Captured) -> None:
    args = ["peers", "--plan", "t-*", "--year", "2025", "--quarter", "Q2"]
    assert cli.main([*args, "--reports-dir", str(synthetic.reports)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("csp: 5 plans compared: ")
    assert (synthetic.reports / "peers" / "2025" / "Q2" / "peers.csv").is_file()
    assert cli.main(["peers", "--plan", "t-*", "--year", "2025-26", "--quarter", "2"]) == 1
    assert "calendar year '2025-26' is not of the form 2025" in capsys.readouterr().err


def test_the_page_opens_offline_and_axe_finds_no_serious_violation(
    synthetic: SimpleNamespace, browser: object
) -> None:
    page = peers.write_peers(synthetic.plans, "2025", 2, synthetic.reports)
    visit = test_browser.Visit(browser, page, {"width": 1280, "height": 900})
    try:
        assert test_browser.serious_violations(visit) == []
        assert visit.other_requests == [] and visit.errors == []
        alts = visit.page.eval_on_selector_all("img", "images => images.map(i => i.alt)")
        assert len(alts) == 2 and all(alt.startswith("Funnel plot of C") for alt in alts)
    finally:
        visit.close()


# --- the four Cleveland partnerships, on the real download --------------------------------------


@pytest.fixture(scope="module")
def cleveland_q1(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """`csp init --all-areas --year-start january`, then 2025 Q1 of each plan (steps 1 and 2 in
    process; the report's statuses.csv as the run writes it)."""
    from shared_data import cleveland_partnerships, shared_path

    raw = shared_path("data", "police-uk-cleveland")
    folder = tmp_path_factory.mktemp("cleveland-peers")
    written = cleveland_partnerships(folder / "plans" / "cleveland.yml", "january")
    reports = folder / "reports"
    for plan in written:
        processed = folder / "processed" / plan.path.stem
        clean_step.run(run := QuarterRun.from_parameters(str(plan.path), "2025", 1, raw, processed))
        measure_step.run(run)
        report = reports / plan.path.stem / "2025" / "Q1"
        report.mkdir(parents=True)
        workbook.write_statuses_csv(RunFolder(processed).statuses, report / "statuses.csv")
    plans = [str(plan.path) for plan in written]
    return SimpleNamespace(plans=plans, reports=reports, processed=folder / "processed")


def test_the_four_cleveland_partnerships_against_a_direct_computation(
    cleveland_q1: SimpleNamespace,
) -> None:
    page = peers.write_peers(cleveland_q1.plans, "2025", 1, cleveland_q1.reports)
    table = read_peers(page)
    assert sorted(set(table["plan"])) == [
        "cleveland-hartlepool",
        "cleveland-middlesbrough",
        "cleveland-redcar-and-cleveland",
        "cleveland-stockton-on-tees",
    ]
    assert len(set(table["measure_id"])) == 10
    assert (table["flag"] != "not compared").all()
    for mid, rows in table.groupby("measure_id"):
        counts = {}
        for plan in rows["plan"]:
            statuses = RunFolder(cleveland_q1.processed / plan).read_statuses()
            row = statuses[(statuses["measure_id"] == mid) & (statuses["quarter"] == "Q1")]
            counts[plan] = (float(row["actual"].iloc[0]), float(row["baseline"].iloc[0]))
        assert_limits_are_direct(rows, counts)
    outside = table["flag"].value_counts()  # as the README says
    assert outside.drop("within").sum() == 13
    assert outside[["above 99.8%", "below 99.8%"]].sum() == 8
    html = page.read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') == 10
    assert "Stockton-on-Tees is above the 99.8% limit for P2 Reduce anti-social behaviour" in html
