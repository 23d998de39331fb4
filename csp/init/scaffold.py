"""`csp init`: a plan for any area from a police.uk download and the ONS lookups, ready to run.

The area is every LSOA of the download whose police.uk `LSOA name` belongs to the local authority
(or the partnership's authorities) asked for (`csp.inputs.ons`), whatever the year of its code (2001, 2011 or
2021). Each LSOA gets its ward from the ONS lookup; a code no lookup holds (a 2021 code) is in the
area with its ward not known (`null`), so its rows count in the totals and in no ward. The plan judges
the standard police.uk measures (P1 to P10) against the baseline year unchanged, and is written with
comments an analyst can follow when setting targets and adding measures and partner extracts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import jinja2
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from csp import config
from csp.errors import CspError
from csp.inputs import ons
from csp.sources import police_uk

YearStart = Literal["april", "january"]
DEFAULT_RAW_DIR = "data/raw/police-uk"
DEFAULT_ONS_DIR = "data/raw/ons"
TOP_WARDS = 5
_MONTH_FOLDER = re.compile(r"^\d{4}-\d{2}$")
_PLAN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# police.uk split "Public disorder and weapons" in May 2013; before then no type is weapons alone.
WEAPONS_SPLIT = pd.Period("2013-05", freq="M")


@dataclass(frozen=True)
class StandardMeasure:
    """One of the standard police.uk measures every plan starts with."""

    id: str
    theme: str
    title: str
    crime_type: str
    unit: str
    every_type_but: bool = False  # all crime types except `crime_type`
    top_wards: bool = False
    note: str = ""


STANDARD_MEASURES = (
    StandardMeasure(
        "P1",
        "All crime",
        "Reduce all recorded crime",
        "Anti-social behaviour",
        "crimes",
        every_type_but=True,
        top_wards=True,
        note="every crime type; anti-social behaviour is not a crime",
    ),
    StandardMeasure(
        "P2",
        "ASB",
        "Reduce anti-social behaviour",
        "Anti-social behaviour",
        "incidents",
        top_wards=True,
    ),
    StandardMeasure(
        "P3",
        "Violence",
        "Reduce violence and sexual offences",
        "Violence and sexual offences",
        "crimes",
        note="also 'Violent crime', its name before May 2013",
    ),
    StandardMeasure(
        "P10",
        "Violence",
        "Reduce possession of weapons offences",
        "Possession of weapons",
        "crimes",
        note="a type since May 2013: before, weapons were in 'Public disorder and weapons'",
    ),
    StandardMeasure("P4", "Acquisitive crime", "Reduce burglary", "Burglary", "crimes"),
    StandardMeasure("P7", "Acquisitive crime", "Reduce vehicle crime", "Vehicle crime", "crimes"),
    StandardMeasure("P8", "Acquisitive crime", "Reduce shoplifting", "Shoplifting", "crimes"),
    StandardMeasure("P9", "Acquisitive crime", "Reduce robbery", "Robbery", "crimes"),
    StandardMeasure(
        "P5",
        "Criminal damage",
        "Reduce criminal damage and arson",
        "Criminal damage and arson",
        "crimes",
    ),
    StandardMeasure("P6", "Drugs", "Reduce drug offences", "Drugs", "offences"),
)
THEME_TITLES = {
    "All crime": "All recorded crime",
    "ASB": "Anti-social behaviour",
    "Violence": "Violence and weapons",
}


@dataclass(frozen=True)
class Download:
    """What a police.uk download holds for one force: its months, and its rows per LSOA."""

    folder: Path
    force: str
    months: tuple[pd.Period, ...]
    lsoas: pd.DataFrame  # code, name, rows: one row per LSOA code and name
    partner: str  # the force as its files name it ("Cleveland Police")


def force_slug(name: str) -> str:
    """'Cleveland Police' or 'cleveland' -> 'cleveland', as police.uk names the files."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.casefold().replace("&", "and")).strip("-")
    return slug.removesuffix("-police") or slug


def force_files(folder: Path, force: str) -> list[tuple[pd.Period, Path]]:
    """The force's monthly files as the download unzips (YYYY-MM/YYYY-MM-<force>-street.csv)."""
    if not folder.is_dir():
        raise CspError(
            f"no police.uk download at {config.shown(folder)}: unzip it there, or give --raw-dir"
        )
    found = [
        (pd.Period(path.parent.name, freq="M"), path)
        for path in sorted(folder.glob(f"*/*-{force}-street.csv"))
        if _MONTH_FOLDER.match(path.parent.name)
        and path.name == f"{path.parent.name}-{force}-street.csv"
    ]
    if not found:
        forces = sorted(
            {p.name[8:].removesuffix("-street.csv") for p in folder.glob("*/*-street.csv")}
        )
        raise CspError(
            f"no police.uk files of force '{force}' in {config.shown(folder)} (expected "
            f"YYYY-MM/YYYY-MM-{force}-street.csv; forces there: {', '.join(forces) or 'none'})"
        )
    return found


def read_download(folder: Path, force: str) -> Download:
    """Each file's LSOA codes and names counted (rows with No Location have none)."""
    files = force_files(folder, force)
    counts: list[pa.Table] = []
    partners: dict[str, int] = {}
    for _, path in files:
        table, _ = police_uk.read_arrow(path)
        keys = pa.table(
            {
                name: pc.utf8_trim_whitespace(table.column(name).cast(pa.string()))
                for name in ("lsoa_code", "lsoa_name", "reported_by")
            }
        )
        counts.append(keys.group_by(["lsoa_code", "lsoa_name"]).aggregate([([], "count_all")]))
        for row in keys.group_by("reported_by").aggregate([([], "count_all")]).to_pylist():
            partners[row["reported_by"]] = partners.get(row["reported_by"], 0) + row["count_all"]
    lsoas = pa.concat_tables(counts).to_pandas()
    lsoas = lsoas[lsoas["lsoa_code"] != ""].rename(
        columns={"lsoa_code": "code", "lsoa_name": "name", "count_all": "rows"}
    )
    lsoas = lsoas.groupby(["code", "name"], as_index=False)["rows"].sum()
    partner = max((p for p in partners if p), key=partners.__getitem__, default=force)
    return Download(folder, force, tuple(m for m, _ in files), lsoas, partner)


def download_force(download: Download, lookups: ons.Lookups) -> str | None:
    """The police force area most of the download's rows are in (its own force's area)."""
    forces = download.lsoas["name"].map(lookups.force_of)  # None (left out) where not listed
    rows = download.lsoas["rows"].groupby(forces.to_numpy()).sum()
    return None if rows.empty else str(rows.idxmax())


@dataclass(frozen=True)
class AreaLsoa:
    """One LSOA of the area: its code and name, rows in the download, ward and where it came from."""

    code: str
    name: str
    rows: int
    ward: str | None
    lookup: ons.WardLookup | None


def area_lsoas(download: Download, lookups: ons.Lookups, area: ons.Area) -> list[AreaLsoa]:
    """Every LSOA of the download in the area, with its ward; a clear refusal if there is none."""
    codes = download.lsoas["name"].map(lookups.authority_code)
    rows = download.lsoas[codes.isin(area.codes).to_numpy()]
    if rows.empty:
        raise CspError(_no_rows(download, area))
    force = download_force(download, lookups)
    if force is not None and force not in area.forces:
        raise CspError(
            f"{area.name} is policed by {' and '.join(sorted(area.forces))}, and this download is "
            f"{download.partner}'s: its {rows['rows'].sum():,} rows in {area.name} are crimes "
            f"{download.partner} recorded over the border. Download "
            f"{' and '.join(sorted(area.forces))}'s files for a plan of {area.name}"
        )
    per_code = rows.groupby("code", as_index=False).agg(
        name=("name", "first"), rows=("rows", "sum")
    )
    found = [
        AreaLsoa(row.code, row.name, int(row.rows), *(lookups.ward(row.code) or (None, None)))
        for row in per_code.itertuples()
    ]
    return _distinct_wards(found)


def _no_rows(download: Download, area: ons.Area) -> str:
    """Why there is nothing to plan: the download's areas, largest first."""
    by_area = download.lsoas.groupby(download.lsoas["name"].map(ons.authority_name))["rows"].sum()
    by_area = by_area.sort_index().sort_values(ascending=False, kind="stable")  # ties by name
    listed = ", ".join(by_area.index[:8]) or "none"
    return (
        f"the download has no rows in {area.name}: {download.partner}'s "
        f"{len(download.months)} files in {config.shown(download.folder)} "
        f"({download.months[0]} to {download.months[-1]}) hold rows in {listed}"
    )


def _distinct_wards(lsoas: list[AreaLsoa]) -> list[AreaLsoa]:
    """A ward name two authorities of the area both use gets its authority: 'Central (Selby)'."""
    authorities: dict[str, set[str]] = {}
    for lsoa in lsoas:
        if lsoa.ward is not None:
            authorities.setdefault(lsoa.ward, set()).add(ons.authority_name(lsoa.name))
    shared = {ward for ward, names in authorities.items() if len(names) > 1}
    return [
        AreaLsoa(
            lsoa.code,
            lsoa.name,
            lsoa.rows,
            f"{lsoa.ward} ({ons.authority_name(lsoa.name)})" if lsoa.ward in shared else lsoa.ward,
            lsoa.lookup,
        )
        for lsoa in sorted(lsoas, key=lambda lsoa: lsoa.code)
    ]


def year_label(month: pd.Period, year_start: YearStart) -> str:
    """The plan year a month is in: '2025' (January to December) or '2025-26' (April to March)."""
    if year_start == "january":
        return str(month.year)
    start = month.year if month.month >= 4 else month.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def quarter_of(month: pd.Period, year_start: YearStart) -> int:
    """Q1 is January to March of a calendar year, April to June of a financial year."""
    first = 1 if year_start == "january" else 4
    return (month.month - first) % 12 // 3 + 1


@dataclass(frozen=True)
class Written:
    """A plan `csp init` wrote, and what an analyst should know about it."""

    path: Path
    area: str
    lsoas: int
    wards: int
    unknown_lsoas: int
    unknown_rows: int
    years: tuple[str, ...]
    next_run: str
    notes: tuple[str, ...] = field(default=())


def ons_folder(given: str | None, raw_dir: Path) -> Path:
    """The lookups: the folder given, else data/raw/ons, else an `ons/` folder beside the download
    (as ../shared/data keeps them), else data/raw/ons for the message saying where to get them."""
    if given:
        return config.resolve(given)
    default = config.resolve(DEFAULT_ONS_DIR)
    beside = raw_dir.parent / "ons"
    return beside if not default.is_dir() and beside.is_dir() else default


@dataclass(frozen=True)
class InitRequest:
    """What `csp init` was asked for."""

    plan: str
    police_force: str
    area: str | None = None
    all_areas: bool = False
    year_start: YearStart = "april"
    raw_dir: Path = field(default_factory=lambda: config.resolve(DEFAULT_RAW_DIR))
    ons_dir: Path = field(default_factory=lambda: config.resolve(DEFAULT_ONS_DIR))
    overwrite: bool = False


def init(request: InitRequest) -> list[Written]:
    """Write the plan (or, with `all_areas`, one per partnership of the download's force)."""
    lookups = ons.read_lookups(request.ons_dir)
    download = read_download(request.raw_dir, force_slug(request.police_force))
    base = config.plan_path(request.plan)
    if request.all_areas:
        force = download_force(download, lookups)
        areas = [] if force is None else ons.partnerships(lookups, force)
        areas = [a for a in areas if _has_rows(download, lookups, a)]
        if not areas:
            raise CspError(f"no partnership's rows in {config.shown(download.folder)}")
        targets = [base.with_name(f"{base.stem}-{slug(a.name)}.yml") for a in areas]
    elif request.area:
        areas, targets = [ons.find_area(lookups, request.area)], [base]
    else:
        raise CspError("name the area (--area) or ask for every partnership (--all-areas)")
    _refuse_existing(targets, request.overwrite)
    plans = [
        (target, render(target, area, download, lookups, request))
        for area, target in zip(areas, targets, strict=True)
    ]
    for target, (text, _) in plans:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return [written for _, (_, written) in plans]


def slug(name: str) -> str:
    """'Redcar and Cleveland' -> 'redcar-and-cleveland': plan names in lower case with hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")


def _has_rows(download: Download, lookups: ons.Lookups, area: ons.Area) -> bool:
    return bool(download.lsoas["name"].map(lookups.authority_code).isin(area.codes).any())


def _refuse_existing(targets: Sequence[Path], overwrite: bool) -> None:
    """Never overwrite an analyst's plan unasked; a bad plan name is refused before anything."""
    for target in targets:
        if not _PLAN_NAME.match(target.stem):
            raise CspError(f"'{target.stem}' is not a plan name: letters, digits, '-', '_' or '.'")
    existing = [config.shown(t) for t in targets if t.exists()]
    if existing and not overwrite:
        raise CspError(f"{', '.join(existing)} already exists: --force to replace it")


_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(config.INIT_TEMPLATES),
    autoescape=False,  # YAML, not HTML: every value goes through the `yaml` filter instead
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def yaml_value(value: object) -> str:
    """A value as YAML writes it inline, quoted where it must be ("Bishop's Cleeve: North")."""
    text = yaml.safe_dump([value], default_flow_style=True, width=1_000_000, allow_unicode=True)
    return text.strip()[1:-1]


_TEMPLATES.filters["yaml"] = yaml_value


def render(
    target: Path, area: ons.Area, download: Download, lookups: ons.Lookups, request: InitRequest
) -> tuple[str, Written]:
    """The plan's text, and the summary of what it holds."""
    name = target.stem
    lsoas = area_lsoas(download, lookups, area)
    years = tuple(dict.fromkeys(year_label(m, request.year_start) for m in download.months))
    unknown = [lsoa for lsoa in lsoas if lsoa.ward is None]
    last = download.months[-1]
    written = Written(
        path=target,
        area=area.name,
        lsoas=len(lsoas),
        wards=len({lsoa.ward for lsoa in lsoas if lsoa.ward is not None}),
        unknown_lsoas=len(unknown),
        unknown_rows=sum(lsoa.rows for lsoa in unknown),
        years=years,
        next_run=f"csp run --plan {name} --year {years[-1]} "
        f"--quarter {quarter_of(last, request.year_start)}",
        notes=_notes(download, lookups),
    )
    text = _TEMPLATES.get_template("plan.yml.j2").render(
        plan=name,
        area=area,
        partner=download.partner,
        force=download.force,
        year_start=request.year_start,
        years=list(years),
        raw_dir=config.shown(download.folder),
        ons_dir=config.shown(request.ons_dir),
        files=len(download.months),
        first_month=str(download.months[0]),
        last_month=str(last),
        groups=_lsoa_groups(lsoas),
        themes=_themes(),
        top_wards=TOP_WARDS,
        written=written,
    )
    return text, written


def _notes(download: Download, lookups: ons.Lookups) -> tuple[str, ...]:
    """What the analyst should know about the download before trusting every measure."""
    notes = []
    if download.months[0] < WEAPONS_SPLIT:
        notes.append(
            f"the download starts before {WEAPONS_SPLIT}: P10 (possession of weapons) counts "
            "nothing before then, as police.uk counted weapons with public disorder"
        )
    names = download.lsoas["name"]
    unknown = download.lsoas[names.map(lookups.authority_code).isna().to_numpy()]
    if not unknown.empty:
        rows = unknown.groupby(unknown["name"].map(ons.authority_name))["rows"].sum()
        listed = "; ".join(f"{name} ({_count(count, 'row')})" for name, count in rows.items())
        notes.append(
            f"authorities in LSOA names the ONS lookup does not list, in no plan: {listed}"
        )
    return tuple(notes)


@dataclass(frozen=True)
class LsoaGroup:
    heading: str
    lsoas: list[AreaLsoa]


def _lsoa_groups(lsoas: list[AreaLsoa]) -> list[LsoaGroup]:
    """The LSOAs by the lookup their ward came from (newest wards first), those with none last."""
    groups: dict[str, list[AreaLsoa]] = {}
    years: dict[str, str] = {}
    for lsoa in lsoas:
        heading = lsoa.lookup.label if lsoa.lookup else ""
        groups.setdefault(heading, []).append(lsoa)
        years[heading] = lsoa.lookup.ward_year if lsoa.lookup else ""
    ordered = sorted((h for h in groups if h), key=years.__getitem__, reverse=True)
    ordered += [""] if "" in groups else []
    return [LsoaGroup(heading, groups[heading]) for heading in ordered]


@dataclass(frozen=True)
class ThemeOfMeasures:
    name: str
    title: str
    measures: list[StandardMeasure]


def _themes() -> list[ThemeOfMeasures]:
    themes: dict[str, list[StandardMeasure]] = {}
    for measure in STANDARD_MEASURES:
        themes.setdefault(measure.theme, []).append(measure)
    return [ThemeOfMeasures(n, THEME_TITLES.get(n, ""), m) for n, m in themes.items()]


def summary(written: Written) -> str:
    """What `csp init` says about a plan it wrote, and the command that runs it."""
    unknown = (
        f"; {_count(written.unknown_lsoas, 'LSOA')} ({written.unknown_rows:,} rows) in no ONS "
        "lookup: ward not known"
        if written.unknown_lsoas
        else ""
    )
    lines = [
        f"csp: wrote {config.shown(written.path)}: {written.area}, "
        f"{_count(written.lsoas, 'LSOA')} in {_count(written.wards, 'ward')}{unknown}; "
        f"years {', '.join(written.years)}",
        *(f"  note: {note}" for note in written.notes),
        f"  next: {written.next_run}",
    ]
    return "\n".join(lines)


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"
