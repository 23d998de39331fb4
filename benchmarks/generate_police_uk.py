"""Synthetic police.uk street-level files at national volume, for performance benchmarks.

    .venv/bin/python benchmarks/generate_police_uk.py --out /tmp/national [--scale 1] [--months 24]
        [--start 2024-01] [--forces metropolitan,city-of-london] [--seed 2026] [--ons DIR]

Writes `<out>/YYYY-MM/YYYY-MM-<force-slug>-street.csv` exactly as the police.uk download unzips
(same header, quoting, ASB rows without a Crime ID, ~8% `No Location` rows, repeated Crime IDs,
rows in a neighbouring force's LSOAs), plus `<out>/MANIFEST.json`. LSOA codes and names are real
(ONS 2011 lookups, read from `--ons`, never copied); everything else is invented. At `--scale 1`
about 6 million rows a year. Output is a pure function of the arguments: each force-month has its
own random stream, so a subset of forces or months gives the same files as a full run.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_ONS = PROJECT / ".." / "shared" / "data" / "ons"
HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context\n"
)
CHUNK_ROWS = 200_000  # rows formatted at once: bounds memory whatever the scale
NO_LOCATION_SHARE = 0.08
DUPLICATE_ID_SHARE = 0.012  # City of London: 273 repeated IDs in 22,480 rows
LARGE = pa.large_string()  # 64-bit offsets: a chunk's text may pass 2 GB at extreme scales

# slug: (PFA19NM in the ONS lookup, "Reported by", rows a year, latitude, longitude, radius deg).
# Rows a year approximate police.uk crime + ASB volumes; centres are rough, for plausible maps.
FORCES: dict[str, tuple[str, str, int, float, float, float]] = {
    "avon-and-somerset": ("Avon and Somerset", "Avon and Somerset Constabulary", 170_000, 51.25, -2.75, 0.40),
    "bedfordshire": ("Bedfordshire", "Bedfordshire Police", 60_000, 52.05, -0.45, 0.15),
    "cambridgeshire": ("Cambridgeshire", "Cambridgeshire Constabulary", 85_000, 52.40, 0.05, 0.30),
    "cheshire": ("Cheshire", "Cheshire Constabulary", 105_000, 53.20, -2.55, 0.25),
    "city-of-london": ("London, City of", "City of London Police", 9_000, 51.515, -0.092, 0.008),
    "cleveland": ("Cleveland", "Cleveland Police", 88_000, 54.57, -1.20, 0.12),
    "cumbria": ("Cumbria", "Cumbria Constabulary", 45_000, 54.55, -3.05, 0.45),
    "derbyshire": ("Derbyshire", "Derbyshire Constabulary", 100_000, 53.05, -1.60, 0.30),
    "devon-and-cornwall": ("Devon & Cornwall", "Devon & Cornwall Police", 140_000, 50.55, -4.20, 0.70),
    "dorset": ("Dorset", "Dorset Police", 55_000, 50.75, -2.30, 0.30),
    "durham": ("Durham", "Durham Constabulary", 70_000, 54.70, -1.75, 0.25),
    "dyfed-powys": ("Dyfed-Powys", "Dyfed-Powys Police", 40_000, 52.10, -3.90, 0.55),
    "essex": ("Essex", "Essex Police", 190_000, 51.80, 0.55, 0.30),
    "gloucestershire": ("Gloucestershire", "Gloucestershire Constabulary", 50_000, 51.85, -2.20, 0.25),
    "greater-manchester": ("Greater Manchester", "Greater Manchester Police", 340_000, 53.48, -2.24, 0.18),
    "gwent": ("Gwent", "Gwent Police", 60_000, 51.70, -3.00, 0.15),
    "hampshire": ("Hampshire", "Hampshire Constabulary", 190_000, 51.00, -1.25, 0.35),
    "hertfordshire": ("Hertfordshire", "Hertfordshire Constabulary", 105_000, 51.85, -0.25, 0.20),
    "humberside": ("Humberside", "Humberside Police", 115_000, 53.75, -0.45, 0.35),
    "kent": ("Kent", "Kent Police", 195_000, 51.20, 0.70, 0.35),
    "lancashire": ("Lancashire", "Lancashire Constabulary", 175_000, 53.85, -2.60, 0.30),
    "leicestershire": ("Leicestershire", "Leicestershire Police", 105_000, 52.65, -1.10, 0.25),
    "lincolnshire": ("Lincolnshire", "Lincolnshire Police", 65_000, 53.10, -0.25, 0.45),
    "merseyside": ("Merseyside", "Merseyside Police", 165_000, 53.42, -2.95, 0.12),
    "metropolitan": ("Metropolitan Police", "Metropolitan Police Service", 1_000_000, 51.50, -0.12, 0.20),
    "norfolk": ("Norfolk", "Norfolk Constabulary", 72_000, 52.65, 1.00, 0.40),
    "north-wales": ("North Wales", "North Wales Police", 62_000, 53.05, -3.55, 0.40),
    "north-yorkshire": ("North Yorkshire", "North Yorkshire Police", 68_000, 54.15, -1.30, 0.50),
    "northamptonshire": ("Northamptonshire", "Northamptonshire Police", 72_000, 52.30, -0.90, 0.25),
    "northumbria": ("Northumbria", "Northumbria Police", 185_000, 55.05, -1.75, 0.30),
    "nottinghamshire": ("Nottinghamshire", "Nottinghamshire Police", 115_000, 53.10, -1.05, 0.25),
    "south-wales": ("South Wales", "South Wales Police", 135_000, 51.60, -3.50, 0.25),
    "south-yorkshire": ("South Yorkshire", "South Yorkshire Police", 190_000, 53.45, -1.35, 0.20),
    "staffordshire": ("Staffordshire", "Staffordshire Police", 100_000, 52.80, -2.05, 0.30),
    "suffolk": ("Suffolk", "Suffolk Constabulary", 58_000, 52.20, 1.05, 0.30),
    "surrey": ("Surrey", "Surrey Police", 88_000, 51.25, -0.45, 0.22),
    "sussex": ("Sussex", "Sussex Police", 148_000, 50.90, -0.25, 0.35),
    "thames-valley": ("Thames Valley", "Thames Valley Police", 195_000, 51.70, -1.00, 0.40),
    "warwickshire": ("Warwickshire", "Warwickshire Police", 50_000, 52.30, -1.55, 0.20),
    "west-mercia": ("West Mercia", "West Mercia Police", 115_000, 52.35, -2.60, 0.45),
    "west-midlands": ("West Midlands", "West Midlands Police", 340_000, 52.48, -1.90, 0.15),
    "west-yorkshire": ("West Yorkshire", "West Yorkshire Police", 330_000, 53.75, -1.65, 0.20),
    "wiltshire": ("Wiltshire", "Wiltshire Police", 50_000, 51.35, -1.95, 0.30),
}  # fmt: skip

# Districts abolished between the 2015 LSOA lookup and the 2019 force lookup.
SUPERSEDED_LADS = {
    "E06000028": "Dorset", "E06000029": "Dorset", "E07000048": "Dorset", "E07000049": "Dorset",
    "E07000050": "Dorset", "E07000051": "Dorset", "E07000052": "Dorset", "E07000053": "Dorset",
    "E07000190": "Avon and Somerset", "E07000191": "Avon and Somerset",
    "E07000201": "Suffolk", "E07000204": "Suffolk", "E07000205": "Suffolk", "E07000206": "Suffolk",
}  # fmt: skip

# Crime type: (national share, seasonal amplitude, peak month). ASB and violence peak in summer,
# burglary in the dark months; amplitudes stay mild.
CRIME_TYPES: dict[str, tuple[float, float, int]] = {
    "Anti-social behaviour": (0.280, 0.20, 7),
    "Violence and sexual offences": (0.295, 0.08, 7),
    "Public order": (0.070, 0.08, 7),
    "Criminal damage and arson": (0.070, 0.06, 10),
    "Shoplifting": (0.060, 0.05, 12),
    "Other theft": (0.060, 0.05, 8),
    "Vehicle crime": (0.050, 0.06, 11),
    "Burglary": (0.040, 0.12, 12),
    "Drugs": (0.025, 0.05, 5),
    "Theft from the person": (0.010, 0.08, 12),
    "Bicycle theft": (0.010, 0.30, 7),
    "Robbery": (0.010, 0.08, 12),
    "Possession of weapons": (0.007, 0.05, 7),
    "Other crime": (0.013, 0.03, 3),
}
# City of London's own mix, measured on its real files 2018-12..2021-11.
CITY_MIX = [0.133, 0.139, 0.055, 0.033, 0.102, 0.202, 0.023, 0.032, 0.087, 0.088, 0.051, 0.016,
            0.008, 0.028]  # fmt: skip
OUTCOMES: dict[str, float] = {
    "Investigation complete; no suspect identified": 0.40,
    "Unable to prosecute suspect": 0.25,
    "Status update unavailable": 0.07,
    "Court result unavailable": 0.06,
    "Under investigation": 0.06,
    "Awaiting court outcome": 0.04,
    "Offender given a caution": 0.02,
    "Offender given a drugs possession warning": 0.02,
    "Formal action is not in the public interest": 0.015,
    "Local resolution": 0.015,
    "Further investigation is not in the public interest": 0.01,
    "Further action is not in the public interest": 0.01,
    "Action to be taken by another organisation": 0.01,
    "Offender given penalty notice": 0.005,
    "Suspect charged as part of another case": 0.005,
}
OUTCOME_P = np.array(list(OUTCOMES.values())) / sum(OUTCOMES.values())
STREET_WORDS = (
    "Station", "Church", "Mill", "High", "Park", "Victoria", "Albert", "Queen", "King", "Chapel",
    "Market", "School", "Bridge", "Castle", "Manor", "Green", "Grange", "Meadow", "Orchard", "Elm",
    "Oak", "Ash", "Beech", "Willow", "Cedar", "Windsor", "York", "Regent", "Princes", "George",
    "Nelson", "Wellington", "Cromwell", "Stanley", "Grosvenor", "Clarence", "Alexandra",
    "Hawthorn", "Westfield", "Northgate", "Southgate", "Eastfield", "Moor", "Hill", "Valley",
    "Brook", "Forge", "Tannery", "Fish", "Bell", "Swan", "Star", "New", "Old",
)  # fmt: skip
STREET_KINDS = (
    "Road", "Street", "Lane", "Avenue", "Close", "Way", "Drive", "Walk", "Yard", "Terrace",
    "Crescent", "Grove", "Place", "Court", "Row", "Gardens",
)  # fmt: skip
# police.uk capitalises after an apostrophe ("Alderman'S Walk"): parsers meet it, so keep it.
POSSESSIVES = (
    "Alderman'S", "King'S", "Queen'S", "Bishop'S", "St. John'S", "St. Mary'S", "Miller'S",
)  # fmt: skip
LANDMARKS = (
    "Supermarket", "Parking Area", "Petrol Station", "Police Station", "Shopping Area", "Hospital",
    "Sports/Recreation Area", "Park/Open Space", "Nightclub", "Further/Higher Educational Building",
    "Conference/Exhibition Centre", "Pedestrian Subway", "Theatre/Concert Hall", "Bus/Coach Station",
)  # fmt: skip


@dataclass
class Pool:
    """One force's snap points, pre-formatted as the five location fields of a row."""

    places: pa.Array  # "lon,lat,On or near X,LSOA code,LSOA name": own, border, No Location
    own_p: np.ndarray  # weights of the force's own snap points, the first len(own_p) places
    border_p: np.ndarray  # weights of the neighbouring forces' snap points, which follow
    border_share: float


def quote(field: str) -> str:
    """CSV-quote a field only when it needs it, as police.uk (and pandas) do."""
    if any(c in field for c in ',"\n\r'):
        return '"' + field.replace('"', '""') + '"'
    return field


def street_names() -> list[str]:
    """A vocabulary of plausible street names, with police.uk's odd capitalisation."""
    names = [f"{w} {k}" for w in STREET_WORDS for k in STREET_KINDS]
    names += [f"{p} {k}" for p in POSSESSIVES for k in STREET_KINDS]
    return names + list(LANDMARKS) * 8  # landmarks are common snap points in real files


def load_lsoas(ons: Path, seed: int) -> pd.DataFrame:
    """Every 2011 LSOA with its force slug and an invented but plausible position."""
    lsoa = pd.read_csv(ons / "ons_lsoa11_to_wd15_lookup_EW.csv", dtype=str)
    lsoa = lsoa.drop_duplicates("LSOA11CD")[["LSOA11CD", "LSOA11NM", "LAD15CD"]]
    pfa = pd.read_csv(ons / "ons_lad19_to_csp19_to_pfa19_lookup_EW.csv", dtype=str)
    lad_pfa = dict(zip(pfa["LAD19CD"], pfa["PFA19NM"], strict=True)) | SUPERSEDED_LADS
    slug_of = {spec[0]: slug for slug, spec in FORCES.items()}
    lsoa["force"] = lsoa["LAD15CD"].map(lad_pfa).map(slug_of)
    missing = lsoa.loc[lsoa["force"].isna(), "LAD15CD"].unique()
    if len(missing):
        raise SystemExit(f"no police force area for local authorities {list(missing)}")
    rng = np.random.default_rng([seed, 1])
    lads = lsoa.drop_duplicates("LAD15CD")[["LAD15CD", "force"]].reset_index(drop=True)
    spec = np.array([FORCES[f][3:] for f in lads["force"]])
    angle, dist = rng.uniform(0, 2 * np.pi, len(lads)), np.sqrt(rng.uniform(0, 1, len(lads)))
    lads["lat"] = spec[:, 0] + 0.7 * spec[:, 2] * dist * np.sin(angle)
    lads["lon"] = spec[:, 1] + 1.4 * spec[:, 2] * dist * np.cos(angle)  # a degree of lon is shorter
    lads["spread"] = spec[:, 2] * 0.25
    lsoa = lsoa.merge(lads[["LAD15CD", "lat", "lon", "spread"]], on="LAD15CD")
    lsoa["lat"] += rng.normal(0, 1, len(lsoa)) * lsoa["spread"] * 0.7
    lsoa["lon"] += rng.normal(0, 1, len(lsoa)) * lsoa["spread"]
    return lsoa.sort_values("LSOA11CD", ignore_index=True)


def border_lsoas(lsoas: pd.DataFrame, slug: str, count: int = 60) -> pd.DataFrame:
    """The other forces' LSOAs nearest this force: where its rows spill over the boundary."""
    lat, lon = FORCES[slug][3:5]
    centres = {s: np.hypot(v[3] - lat, (v[4] - lon) * 0.6) for s, v in FORCES.items() if s != slug}
    near = sorted(centres, key=centres.__getitem__)[:3]
    others = lsoas[lsoas["force"].isin(near)]
    dist = np.hypot(others["lat"] - lat, (others["lon"] - lon) * 0.6)
    return others.loc[dist.nsmallest(count).index]


def snap_points(
    lsoas: pd.DataFrame, names: list[str], rng: np.random.Generator
) -> tuple[pa.Array, np.ndarray]:
    """Several snap points per LSOA, formatted once and reused for every month of the run."""
    per = rng.integers(3, 25, len(lsoas))
    idx = np.repeat(np.arange(len(lsoas)), per)
    lat = lsoas["lat"].to_numpy()[idx] + rng.normal(0, 0.002, len(idx))
    lon = lsoas["lon"].to_numpy()[idx] + rng.normal(0, 0.003, len(idx))
    street = rng.integers(0, len(names), len(idx))
    codes, lsoa_names = lsoas["LSOA11CD"].to_numpy(), lsoas["LSOA11NM"].to_numpy()
    rows = zip(lon.tolist(), lat.tolist(), street.tolist(), idx.tolist(), strict=True)
    text = [
        f"{x:.6f},{y:.6f},{quote('On or near ' + names[s])},{codes[i]},{quote(lsoa_names[i])}"
        for x, y, s, i in rows
    ]
    weight = rng.lognormal(0, 1.2, len(idx))  # a few hot spots take many rows, as in real files
    return pa.array(text, LARGE), weight / weight.sum()


def build_pool(lsoas: pd.DataFrame, slug: str, seed: int, index: int, names: list[str]) -> Pool:
    """The snap points a force's rows are drawn from, own and neighbouring."""
    rng = np.random.default_rng([seed, 2, index])
    own, own_p = snap_points(lsoas[lsoas["force"] == slug], names, rng)
    border, border_p = snap_points(border_lsoas(lsoas, slug), names, rng)
    places = pa.concat_arrays([own, border, pa.array([",,No Location,,"], LARGE)])
    share = 0.06 if slug == "city-of-london" else 0.01  # the City is small: 6% in its real files
    return Pool(places, own_p, border_p, share)


def type_mix(slug: str, seed: int, index: int) -> np.ndarray:
    """Each force's own crime mix: the national mix, jittered; the City's measured one."""
    base = np.array([v[0] for v in CRIME_TYPES.values()])
    if slug == "city-of-london":
        mix = np.array(CITY_MIX)
    else:
        mix = np.random.default_rng([seed, 3, index]).dirichlet(base * 400)
    return mix / mix.sum()


def seasonal(mix: np.ndarray, month: int) -> tuple[np.ndarray, float]:
    """The month's type probabilities and volume factor, from each type's seasonal curve."""
    amp = np.array([v[1] for v in CRIME_TYPES.values()])
    peak = np.array([v[2] for v in CRIME_TYPES.values()])
    factor = 1 + amp * np.cos(2 * np.pi * (month - peak) / 12)
    weighted = mix * factor
    return weighted / weighted.sum(), float(weighted.sum())


def tails() -> pa.Array:
    """Every "Crime type,Last outcome category,Context" ending, indexed type * outcomes + outcome."""
    text = []
    for kind in CRIME_TYPES:
        for outcome in OUTCOMES:
            shown = "" if kind == "Anti-social behaviour" else quote(outcome)
            text.append(f"{quote(kind)},{shown},\n")
    return pa.array(text, LARGE)


def crime_ids(is_crime: np.ndarray, rng: np.random.Generator) -> pa.Array:
    """64-hex Crime IDs for crimes, empty for ASB; a few IDs repeat, as in real files."""
    n_crime = int(is_crime.sum())
    hexed = np.frombuffer(rng.bytes(32 * n_crime).hex().encode(), dtype="S64").copy()
    if n_crime > 1:
        dups = rng.random(n_crime) < DUPLICATE_ID_SHARE
        hexed[dups] = hexed[rng.integers(0, n_crime, int(dups.sum()))]
    offsets = np.zeros(len(is_crime) + 1, dtype=np.int64)
    np.cumsum(is_crime * 64, out=offsets[1:])
    return pa.Array.from_buffers(
        LARGE, len(is_crime), [None, pa.py_buffer(offsets), pa.py_buffer(hexed.tobytes())]
    )


def draw_rows(
    n: int, pool: Pool, probs: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A force-month's rows as indices: type, place in `pool.places`, outcome."""
    kind = rng.choice(len(probs), n, p=probs)
    own = len(pool.own_p)
    loc = rng.choice(own, n, p=pool.own_p)
    spill = rng.random(n) < pool.border_share
    loc[spill] = own + rng.choice(len(pool.border_p), int(spill.sum()), p=pool.border_p)
    loc[rng.random(n) < NO_LOCATION_SHARE] = len(pool.places) - 1  # the No Location place
    outcome = rng.choice(len(OUTCOMES), n, p=OUTCOME_P)
    order = np.lexsort((kind, loc))  # grouped by place, No Location last, as in real files
    return kind[order], loc[order], outcome[order]


def format_rows(
    prefix: str, kind: np.ndarray, loc: np.ndarray, outcome: np.ndarray, ids: pa.Array, pool: Pool
) -> pa.Buffer | bytes:
    """The CSV text of some rows, joined by pyarrow in C++ rather than row by row in Python.

    Not pyarrow.csv (it quotes the header and every string) nor pandas to_csv (several times
    slower): the text is byte for byte what pandas `to_csv(index=False, lineterminator="\\n")` gives.
    """
    if len(kind) == 0:
        return b""
    place = pool.places.take(pa.array(loc))
    tail = TAILS.take(pa.array(kind * len(OUTCOMES) + outcome))
    sep = pa.scalar(",", LARGE)
    text = pc.binary_join_element_wise(ids, pa.scalar(prefix, LARGE), place, tail, sep)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)
    start, stop = offsets[text.offset], offsets[text.offset + len(text)]
    return text.buffers()[2][start:stop]


TAILS = tails()


def write_force_month(
    path: Path, slug: str, month: str, pool: Pool, mix: np.ndarray, args: argparse.Namespace
) -> int:
    """Generate and write one file, CHUNK_ROWS at a time; returns its row count.

    The random stream is keyed by force and month, so any subset of a run gives the same files.
    """
    index, year, mon = list(FORCES).index(slug), int(month[:4]), int(month[5:])
    rng = np.random.default_rng([args.seed, 4, index, year, mon])
    probs, factor = seasonal(mix, mon)
    n = int(rng.poisson(FORCES[slug][2] / 12 * args.scale * factor))
    kind, loc, outcome = draw_rows(n, pool, probs, rng)
    reported = FORCES[slug][1]
    prefix = f"{month},{quote(reported)},{quote(reported)}"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        out.write(HEADER.encode())
        for start in range(0, n, CHUNK_ROWS):
            part = slice(start, start + CHUNK_ROWS)
            ids = crime_ids(kind[part] != 0, rng)  # type 0 is Anti-social behaviour
            chunk = format_rows(prefix, kind[part], loc[part], outcome[part], ids, pool)
            out.write(memoryview(chunk))
    return n


def months_from(start: str, count: int) -> list[str]:
    """`count` consecutive YYYY-MM strings from `start`."""
    return [p.strftime("%Y-%m") for p in pd.period_range(start, periods=count, freq="M")]


def generate(args: argparse.Namespace) -> dict[str, object]:
    """Write every force-month, one at a time; return the manifest."""
    names, months = street_names(), months_from(args.start, args.months)
    lsoas = load_lsoas(args.ons, args.seed)
    rows: dict[str, dict[str, int]] = {}
    files = size = 0
    for slug in args.forces:
        index = list(FORCES).index(slug)
        pool = build_pool(lsoas, slug, args.seed, index, names)
        mix = type_mix(slug, args.seed, index)
        rows[slug] = {}
        for month in months:
            path = args.out / month / f"{month}-{slug}-street.csv"
            rows[slug][month] = write_force_month(path, slug, month, pool, mix, args)
            size, files = size + path.stat().st_size, files + 1
    return {
        "generator": "benchmarks/generate_police_uk.py",
        "seed": args.seed,
        "scale": args.scale,
        "start": months[0],
        "months": months,
        "forces": args.forces,
        "files": files,
        "bytes": size,
        "total_rows": sum(sum(m.values()) for m in rows.values()),
        "rows_per_force": {slug: sum(m.values()) for slug, m in rows.items()},
        "rows_per_force_month": rows,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options; forces are checked against the 43 known slugs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write into")
    parser.add_argument("--scale", type=float, default=1.0, help="volume multiplier (1 = national)")
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--start", default="2024-01", help="first month, YYYY-MM")
    parser.add_argument("--forces", default=",".join(FORCES), help="comma list of force slugs")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--ons", type=Path, default=DEFAULT_ONS, help="folder of ONS lookups")
    args = parser.parse_args(argv)
    args.forces = [f.strip() for f in args.forces.split(",") if f.strip()]
    unknown = sorted(set(args.forces) - set(FORCES))
    if unknown:
        parser.error(f"unknown force slugs {unknown}; known: {', '.join(FORCES)}")
    if args.scale < 0 or args.months < 1:
        parser.error("--scale must be >= 0 and --months >= 1")
    return args


def main(argv: list[str] | None = None) -> None:
    """Generate, write the manifest, print the summary."""
    args = parse_args(argv)
    started = time.perf_counter()
    manifest = generate(args)
    seconds = time.perf_counter() - started
    manifest["seconds"] = round(seconds, 1)
    (args.out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")
    rows, size = manifest["total_rows"], manifest["bytes"]
    print(
        f"{manifest['files']} files, {rows:,} rows, {size / 1e6:,.1f} MB, {seconds:.1f} s "
        f"({rows / max(seconds, 1e-9):,.0f} rows/s) in {args.out}"
    )


if __name__ == "__main__":
    main()
