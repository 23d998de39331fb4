"""The ONS lookups `csp init` reads: local authorities to Community Safety Partnerships and police
force areas, and LSOAs to wards.

Files are recognised by their columns, not their names, so any vintage the ONS publishes will do
(`LAD19CD, LAD19NM, CSP19CD, CSP19NM, PFA19NM`; `LSOA11CD, WD15NM`; `LSOA01CD, WD11NM`; ...). Where
several LSOA lookups hold a code, the one with the newest wards gives its ward.

police.uk names an LSOA after its local authority ("Stockton-on-Tees 001A"), so an LSOA belongs to the
authority whose name comes before the last space. Names are compared without case, ", City of" or a
leading "The" ("Kingston upon Hull" is "Kingston upon Hull, City of"), and an authority renamed since
an LSOA lookup was made keeps its code ("Shepway 001A" is Folkestone and Hythe).
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from csp import config
from csp.errors import CspError
from csp.inputs import csvfile

AREA_COLUMNS = ("LAD{}CD", "LAD{}NM", "CSP{}CD", "CSP{}NM", "PFA{}NM")
_VINTAGE = re.compile(r"^[A-Z]+?(\d\d)(?:CD|NM)$")  # LAD19CD, LSOA11CD, WD15NM
_SUFFIX = re.compile(r",\s*(city|county) of$")
LOOKUPS_HELP = (
    "download from the ONS Open Geography Portal (geoportal.statistics.gov.uk) as CSV: "
    "'Local Authority District to Community Safety Partnerships to Police Force Areas' and "
    "'Lower Layer Super Output Area to Ward' lookups (see README: A plan for any area)"
)


@dataclass(frozen=True)
class Authority:
    """A local authority, its Community Safety Partnership and its police force area."""

    code: str
    name: str
    partnership_code: str
    partnership: str
    force: str


@dataclass(frozen=True)
class WardLookup:
    """One ONS LSOA -> ward file: which LSOA codes (their year) and wards (their year) it holds."""

    file: str
    lsoa_year: str
    ward_year: str
    wards: dict[str, str]

    @property
    def label(self) -> str:
        return f"LSOA ({self.lsoa_year}) -> ward ({self.ward_year}), from {self.file}"


@dataclass(frozen=True)
class Lookups:
    """The authorities and ward lookups of one folder, and the names LSOAs give authorities."""

    folder: Path
    authorities: tuple[Authority, ...]
    ward_lookups: tuple[WardLookup, ...]  # newest wards first
    names: dict[str, str]  # an authority's name as LSOA names spell it, normalised -> its code

    def authority_code(self, lsoa_name: str) -> str | None:
        """The code of the authority an LSOA name ("Stockton-on-Tees 001A") belongs to."""
        return self.names.get(normalised(authority_name(lsoa_name)))

    def ward(self, code: str) -> tuple[str, WardLookup] | None:
        """The LSOA's ward in the newest lookup that holds the code, and that lookup."""
        for lookup in self.ward_lookups:
            if code in lookup.wards:
                return lookup.wards[code], lookup
        return None

    def force_of(self, lsoa_name: str) -> str | None:
        """The police force area of the authority an LSOA name belongs to, if the lookup has it."""
        return self._forces.get(self.authority_code(lsoa_name) or "")

    @functools.cached_property
    def _forces(self) -> dict[str, str]:
        return {authority.code: authority.force for authority in self.authorities}


def authority_name(lsoa_name: str) -> str:
    """'Stockton-on-Tees 001A' -> 'Stockton-on-Tees': the name before the last space."""
    return lsoa_name.strip().rsplit(" ", 1)[0]


def normalised(name: str) -> str:
    """How names are compared: no case, no ', City of' or leading 'The', single spaces."""
    text = " ".join(name.replace("&", "and").split()).casefold()
    return _SUFFIX.sub("", text).removeprefix("the ")


def read_lookups(folder: Path) -> Lookups:
    """Every lookup CSV in the folder, recognised by its columns; refused if either kind is absent."""
    if not folder.is_dir():
        raise CspError(f"no ONS lookups folder at {config.shown(folder)}: {LOOKUPS_HELP}")
    authorities: list[Authority] = []
    ward_lookups: list[WardLookup] = []
    renamed: dict[str, str] = {}
    for path in sorted(folder.glob("*.csv")):
        table = _read(path)
        columns = {name.upper(): name for name in table.column_names}
        area_year = _year_with(columns, AREA_COLUMNS)
        if area_year:
            authorities += _authorities(table, columns, area_year)
        found = _ward_lookup(path, table, columns)
        if found is not None:
            ward_lookups.append(found[0])
            renamed.update(found[1])
    if not authorities or not ward_lookups:
        missing = "local authority to partnership" if not authorities else "LSOA to ward"
        raise CspError(f"no ONS {missing} lookup in {config.shown(folder)}: {LOOKUPS_HELP}")
    ward_lookups.sort(key=lambda lookup: lookup.ward_year, reverse=True)
    return Lookups(folder, tuple(authorities), tuple(ward_lookups), _names(authorities, renamed))


def _read(path: Path) -> pa.Table:
    csv_bytes = csvfile.load(path)
    return csvfile.read_table(csv_bytes, fill_short=True)


def _year_with(columns: dict[str, str], patterns: Iterable[str]) -> str | None:
    """The two-digit year whose columns (LAD19CD, CSP19NM, ...) are all there, if any."""
    years = {m.group(1) for name in columns if (m := _VINTAGE.match(name))}
    for year in sorted(years, reverse=True):
        if all(pattern.format(year) in columns for pattern in patterns):
            return year
    return None


def _column(table: pa.Table, columns: dict[str, str], name: str) -> list[str]:
    return [str(value).strip() for value in table.column(columns[name]).to_pylist()]


def _authorities(table: pa.Table, columns: dict[str, str], year: str) -> list[Authority]:
    """One entry per authority and partnership (an authority in two partnerships is in both)."""
    rows = zip(
        *(_column(table, columns, pattern.format(year)) for pattern in AREA_COLUMNS),
        strict=True,
    )
    return [Authority(*row) for row in dict.fromkeys(rows) if row[0]]


def _ward_lookup(
    path: Path, table: pa.Table, columns: dict[str, str]
) -> tuple[WardLookup, dict[str, str]] | None:
    """The file as an LSOA -> ward lookup (LSOA11CD, WD15NM), with the authority names its LSOAs
    use (LAD15NM -> LAD15CD), if it is one."""
    lsoa_year = _year_with(columns, ("LSOA{}CD",))
    ward_year = _year_with(columns, ("WD{}NM",))
    if lsoa_year is None or ward_year is None:
        return None
    codes = _column(table, columns, f"LSOA{lsoa_year}CD")
    wards = _column(table, columns, f"WD{ward_year}NM")
    lookup = WardLookup(
        path.name, f"20{lsoa_year}", f"20{ward_year}", dict(zip(codes, wards, strict=True))
    )
    names: dict[str, str] = {}
    lad_year = _year_with(columns, ("LAD{}CD", "LAD{}NM"))
    if lad_year is not None:
        lad_names = _column(table, columns, f"LAD{lad_year}NM")
        lad_codes = _column(table, columns, f"LAD{lad_year}CD")
        names = dict(zip(lad_names, lad_codes, strict=True))
    return lookup, names


def _names(authorities: list[Authority], renamed: dict[str, str]) -> dict[str, str]:
    """Normalised name -> code: each authority's own name, then older names of the same code."""
    codes = {authority.code for authority in authorities}
    names = {normalised(authority.name): authority.code for authority in authorities}
    for name, code in renamed.items():
        if code in codes:
            names.setdefault(normalised(name), code)
    return names


@dataclass(frozen=True)
class Area:
    """The local authorities a plan covers, and how the plan names them."""

    name: str
    codes: frozenset[str]
    description: str
    forces: frozenset[str]


def find_area(lookups: Lookups, name: str) -> Area:
    """A local authority by name, else a partnership; an unknown name lists the close ones."""
    wanted = normalised(name)
    authorities = [a for a in lookups.authorities if normalised(a.name) == wanted]
    if authorities:
        return authority_area(authorities)
    members = [a for a in lookups.authorities if normalised(a.partnership) == wanted]
    if members:
        return partnership_area(members)
    forces = sorted({a.force for a in lookups.authorities if normalised(a.force) == wanted})
    if forces:
        names = ", ".join(area.name for area in partnerships(lookups, forces[0]))
        raise CspError(
            f"'{name}' is a police force area, not one partnership: --all-areas writes a plan "
            f"for each of its partnerships ({names})"
        )
    raise CspError(
        f"no local authority or Community Safety Partnership '{name}' in the ONS "
        f"lookup in {config.shown(lookups.folder)}{close_matches(lookups, name)}"
    )


def authority_area(entries: list[Authority]) -> Area:
    """A local authority (listed once per partnership it is in)."""
    first = entries[0]
    joined = ", ".join(sorted({f"{a.partnership} {a.partnership_code}" for a in entries}))
    return Area(
        first.name,
        frozenset({first.code}),
        f"local authority {first.code} (partnership {joined}; police force area {first.force})",
        frozenset(a.force for a in entries),
    )


def partnership_area(members: list[Authority]) -> Area:
    """A Community Safety Partnership: all its authorities."""
    first = members[0]
    names = ", ".join(sorted({a.name for a in members}))
    return Area(
        first.partnership,
        frozenset(a.code for a in members),
        f"Community Safety Partnership {first.partnership_code} ({names}; police force area {first.force})",
        frozenset(a.force for a in members),
    )


def partnerships(lookups: Lookups, force: str) -> list[Area]:
    """Every partnership of a police force area, by name."""
    members: dict[str, list[Authority]] = {}
    for authority in lookups.authorities:
        if authority.force == force:
            members.setdefault(authority.partnership_code, []).append(authority)
    return sorted((partnership_area(m) for m in members.values()), key=lambda area: area.name)


def close_matches(lookups: Lookups, name: str) -> str:
    """'; did you mean: Stockton-on-Tees?': the lookup's authority and partnership names most like
    the name typed, whole or as the start of a longer name ('Stokton' is like 'Stockton-on-Tees')."""
    spellings = {a.name for a in lookups.authorities} | {a.partnership for a in lookups.authorities}
    by_key = {normalised(spelling): spelling for spelling in sorted(spellings)}
    wanted = normalised(name)
    likeness = {key: _likeness(wanted, key) for key in by_key}
    found = sorted((key for key in by_key if likeness[key] >= 0.6), key=lambda k: -likeness[k])
    listed = ", ".join(by_key[key] for key in found[:5])
    return f"; did you mean: {listed}?" if listed else ""


def _likeness(wanted: str, key: str) -> float:
    """How like a name the typed text is: the better of the whole name and its start."""
    if wanted and wanted in key:
        return 1.0
    whole = difflib.SequenceMatcher(None, wanted, key).ratio()
    start = difflib.SequenceMatcher(None, wanted, key[: len(wanted)]).ratio()
    return max(whole, start)
