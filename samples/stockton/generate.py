"""Seeded generator of the bundled Stockton sample: record-level partner extracts for 2010/11 (the
baseline) and 2011/12 Q1 and Q2, written as partners send them (CSV and one Excel workbook, dd/mm/yyyy
dates, odd ward spellings, stray spaces, duplicate rows, blank lines).

The records are synthetic. Their counts are calibrated so that the csp engine, applying
plans/stockton.yml, reproduces the real 2011/12 dashboard in ../shared/seed: the calibration below says
how many records of each kind fall in each quarter, and the engine has to count them back. Nothing
here states a status or a comment.

    python samples/stockton/generate.py --out data/raw/stockton
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
MARKER = ".generated-sample"  # only a folder carrying this is ever replaced by --force
BASE, CURRENT = 2010, 2011  # financial years 2010-11 and 2011-12, by first calendar year
QUARTERS = {BASE: (1, 2, 3, 4), CURRENT: (1, 2)}

WARDS = (
    "Billingham Central", "Billingham East", "Billingham North", "Billingham South",
    "Billingham West", "Bishopsgarth and Elm Tree", "Eaglescliffe", "Fairfield", "Grangefield",
    "Hardwick", "Hartburn", "Ingleby Barwick East", "Ingleby Barwick West", "Mandale and Victoria",
    "Newtown", "Northern Parishes", "Norton North", "Norton South", "Norton West",
    "Parkfield and Oxbridge", "Roseworth", "Stainsby Hill", "Stockton Town Centre", "Village",
    "Western Parishes", "Yarm",
)  # fmt: skip
TOP_FIVE = (
    "Stockton Town Centre",
    "Mandale and Victoria",
    "Hardwick",
    "Parkfield and Oxbridge",
    "Newtown",
)
OTHER_WARDS = tuple(w for w in WARDS if w not in TOP_FIVE)
# How partners actually spell some wards; cleaning must bring them back to the plan's names.
WARD_SPELLINGS = {
    "Mandale and Victoria": ["Mandale & Victoria", "MANDALE AND VICTORIA"],
    "Parkfield and Oxbridge": ["Parkfield & Oxbridge", "parkfield and oxbridge"],
    "Stockton Town Centre": ["STOCKTON TOWN CENTRE", "Stockton Town  Centre"],
    "Bishopsgarth and Elm Tree": ["Bishopsgarth & Elm Tree"],
    "Ingleby Barwick East": ["Ingleby Barwick East "],
}
STREET_NAMES = (
    "Station Road", "High Street", "Church Road", "Green Lane", "Park Road", "Victoria Road",
    "Queen Street", "Mill Lane", "Westbury Street", "Bishopton Road", "Durham Road", "Darlington Road",
    "Hartburn Lane", "Yarm Road", "Thames Road", "Marske Lane", "Junction Road", "Lustrum Avenue",
    "Bowesfield Lane", "Cheltenham Avenue", "Wolviston Road", "Chapel Road", "Belle Vue Road",
    "Kings Road", "Sandy Lane", "Ragpath Lane", "Harrowgate Lane", "Elm Tree Avenue", "Bath Lane",
    "Oxford Road", "Grays Road", "Hardwick Road", "Windermere Road", "Fairfield Road", "Ayresome Way",
)  # fmt: skip
# Partners sometimes type a person's details into the wrong cell: here into the Ward cell of one
# police ASB incident and one RSL call. The report must say a ward was not recognised without
# printing it, and no output may carry any part of it (tests/test_privacy.py looks for each).
MISPLACED = {
    "police_asb": ("Jane Ramsbottom", "14 Acacia Avenue, Norton TS20 1AB", "DOB 03/07/1968"),
    "rsl_asb": (
        "Mr Adebayo Okonkwo",
        "Flat 3, 27 Quarry Close, Thornaby TS17 9QX",
        "DOB 21/11/1990",
    ),
}
# The five streets with most criminal damage in 2010/11, and their counts per quarter:
# (2010-11 Q1..Q4, 2011-12 Q1..Q2). Tithe Barn Road is the one that goes up.
TOP_STREETS = {
    ("Dovecot Street", "Stockton Town Centre"): (15, 15, 14, 14, 10, 10),
    ("Mandale Road", "Mandale and Victoria"): (14, 14, 13, 12, 9, 9),
    ("Norton Road", "Newtown"): (12, 13, 12, 11, 8, 9),
    ("Oxbridge Lane", "Parkfield and Oxbridge"): (12, 10, 11, 10, 8, 7),
    ("Tithe Barn Road", "Hardwick"): (9, 11, 10, 10, 12, 14),
}


def by_quarter(*counts: int) -> dict[tuple[int, int], int]:
    """Counts for 2010-11 Q1..Q4 then 2011-12 Q1..Q2."""
    keys = [(BASE, q) for q in QUARTERS[BASE]] + [(CURRENT, q) for q in QUARTERS[CURRENT]]
    return dict(zip(keys, counts, strict=True))


# Calibration: records per quarter, and repeat subjects reached by the end of each quarter (YTD).
VAP_TOP_FIVE = by_quarter(210, 210, 200, 190, 195, 243)
VAP_OTHER = by_quarter(290, 290, 280, 270, 220, 220)
MOST_SERIOUS_VIOLENCE = by_quarter(20, 21, 20, 19, 19, 33)
DV_REPEAT_PERPETRATORS_YTD = by_quarter(30, 60, 85, 110, 25, 50)
DRUG_OFFENCES = by_quarter(110, 112, 105, 108, 100, 104)
DRUG_REPEAT_OFFENDERS_YTD = by_quarter(15, 32, 45, 60, 12, 26)
CRIMINAL_DAMAGE = by_quarter(600, 620, 610, 570, 540, 560)
CD_REPEAT_VICTIMS_YTD = by_quarter(35, 75, 110, 140, 30, 62)
OTHER_CRIME = {
    "Burglary": 150,
    "Theft": 400,
    "Robbery": 20,
    "Sexual offences": 30,
    "Public order": 80,
}
POLICE_ASB_TOP_FIVE = by_quarter(150, 150, 140, 130, 158, 163)
POLICE_ASB_OTHER = by_quarter(160, 165, 150, 140, 150, 150)
MAASBT_TOP_FIVE = by_quarter(60, 60, 55, 50, 42, 42)
MAASBT_OTHER = by_quarter(50, 50, 45, 45, 48, 50)
RSL_TOP_FIVE = by_quarter(40, 40, 38, 36, 28, 28)
RSL_OTHER = by_quarter(30, 30, 28, 28, 30, 31)
REPEAT_CALLERS_YTD = by_quarter(40, 85, 125, 170, 33, 70)
SECTION_27 = by_quarter(20, 30, 25, 22, 24, 18)
ARREST_REFERRAL_TESTS = by_quarter(120, 125, 118, 115, 110, 112)
REPEAT_POSITIVE_TESTERS_YTD = by_quarter(18, 36, 52, 68, 15, 30)
HCC_CONVICTIONS = by_quarter(55, 56, 55, 55, 38, 34)
# HCC cohort at each quarter's end: (in treatment, non-drug users, refusing treatment).
HCC_COHORT = by_quarter((22, 5, 3), (22, 4, 3), (23, 3, 3), (24, 3, 2), (26, 2, 1), (27, 1, 1))
# NDTMS clients in treatment at each quarter's end: (female, all).
NDTMS_CLIENTS = by_quarter((40, 160), (42, 165), (43, 170), (44, 172), (42, 168), (44, 170))
# NDTMS treatment exits by month: (planned, all), April first.
NDTMS_EXITS = {
    BASE: [(13, 30), (14, 30), (13, 30), (13, 28), (12, 27), (14, 30),
           (14, 30), (13, 30), (14, 30), (13, 29), (14, 30), (13, 29)],
    CURRENT: [(13, 25), (12, 25), (13, 25), (11, 21), (11, 20), (12, 22)],
}  # fmt: skip
ALCOHOL_REQUIREMENT_OFFENCES = {1: 14, 2: 12}  # 2011-12 only: the baseline is still to be collected
MARAC_CASES = {1: 38, 2: 41}


def quarter_months(year: int, quarter: int) -> list[tuple[int, int]]:
    first = 4 + (quarter - 1) * 3
    return [((year + (m - 1) // 12), (m - 1) % 12 + 1) for m in range(first, first + 3)]


def fy_months(year: int) -> list[tuple[int, int]]:
    return [m for q in (1, 2, 3, 4) for m in quarter_months(year, q)]


@dataclass
class Record:
    """One generated row, with the month it falls in; `fields` are the partner's columns."""

    date: dt.date
    fields: dict[str, object] = field(default_factory=dict)

    @property
    def month(self) -> tuple[int, int]:
        return (self.date.year, self.date.month)


class Sample:
    """Builds every extract with one seeded random generator, so the output never changes."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.serial = 0
        self.streets = {
            ward: sorted(self.rng.choice(STREET_NAMES, size=10, replace=False).tolist())
            for ward in WARDS
        }

    def next_id(self, prefix: str, width: int = 6) -> str:
        self.serial += 1
        return f"{prefix}{self.serial:0{width}d}"

    def pseudonym(self, prefix: str) -> str:
        """A unique, meaningless id: extracts about people carry no names."""
        self.serial += 1
        return f"{prefix}-{(self.serial * 2654435761) % 16**8:08x}"

    def split(self, total: int, parts: int) -> list[int]:
        """A total spread over months, roughly evenly."""
        return self.rng.multinomial(total, [1 / parts] * parts).tolist()

    def date_in(self, month: tuple[int, int]) -> dt.date:
        year, number = month
        last = (dt.date(year + number // 12, number % 12 + 1, 1) - dt.timedelta(days=1)).day
        return dt.date(year, number, int(self.rng.integers(1, last + 1)))

    def dated(self, year: int, quarter: int, total: int) -> list[dt.date]:
        months = quarter_months(year, quarter)
        dates = []
        for month, n in zip(months, self.split(total, 3), strict=True):
            dates.extend(self.date_in(month) for _ in range(n))
        return dates

    def street_in(self, ward: str) -> str:
        return str(self.rng.choice(self.streets[ward]))

    def ward_among(self, wards: tuple[str, ...]) -> str:
        return str(self.rng.choice(wards))

    def assign_repeats(
        self,
        records: list[Record],
        key: str,
        ytd_targets: dict[int, int],
        min_records: int,
        prefix: str,
        year: int,
    ) -> None:
        """Give records subject ids so that exactly the calibrated number of subjects reach
        `min_records` records in each month (YTD targets by quarter); everyone else appears once."""
        ordered = sorted(records, key=lambda r: r.date)
        free = set(range(len(ordered)))
        previous = 0
        for quarter in QUARTERS[year]:
            increment = ytd_targets[quarter] - previous
            previous = ytd_targets[quarter]
            months = quarter_months(year, quarter)
            for month, n in zip(months, self.split(increment, 3), strict=True):
                in_month = [i for i in sorted(free) if ordered[i].month == month]
                candidates = in_month[len(in_month) // 3 :]
                chosen = self.rng.choice(candidates, size=n, replace=False) if n else []
                for last in sorted(int(c) for c in chosen):
                    earlier = [
                        i for i in free if ordered[i].date < ordered[last].date and i != last
                    ]
                    if len(earlier) < min_records - 1:
                        raise RuntimeError(f"not enough earlier records for {key} in {month}")
                    partners = self.rng.choice(sorted(earlier), size=min_records - 1, replace=False)
                    subject = self.pseudonym(prefix)
                    for i in [last, *(int(p) for p in partners)]:
                        ordered[i].fields[key] = subject
                        free.discard(i)
        for i in free:
            ordered[i].fields[key] = self.pseudonym(prefix)

    # Police recorded crime -------------------------------------------------------------------------

    def police_crime(self) -> dict[tuple[int, int], list[Record]]:
        files: dict[tuple[int, int], list[Record]] = {}
        for year, quarters in QUARTERS.items():
            vap, drugs, damage = [], [], []
            for quarter in quarters:
                key = (year, quarter)
                records: list[Record] = []
                quarter_vap = [
                    self.crime(d, "Violence against the person", self.ward_among(TOP_FIVE))
                    for d in self.dated(year, quarter, VAP_TOP_FIVE[key])
                ] + [
                    self.crime(d, "Violence against the person", self.ward_among(OTHER_WARDS))
                    for d in self.dated(year, quarter, VAP_OTHER[key])
                ]
                serious = set(
                    self.rng.choice(
                        len(quarter_vap), MOST_SERIOUS_VIOLENCE[key], replace=False
                    ).tolist()
                )
                for i, record in enumerate(quarter_vap):
                    record.fields["Offence Subgroup"] = (
                        "Most serious violence"
                        if i in serious
                        else str(
                            self.rng.choice(
                                ["Assault with injury", "Assault without injury", "Harassment"]
                            )
                        )
                    )
                    record.fields["Domestic Abuse"] = "Y" if self.rng.random() < 0.3 else "N"
                vap.extend(quarter_vap)
                quarter_drugs = [
                    self.crime(
                        d,
                        "Drug offences",
                        self.ward_among(WARDS),
                        subgroup=str(
                            self.rng.choice(["Possession of drugs", "Trafficking of drugs"])
                        ),
                    )
                    for d in self.dated(year, quarter, DRUG_OFFENCES[key])
                ]
                drugs.extend(quarter_drugs)
                index = (
                    QUARTERS[BASE].index(quarter)
                    if year == BASE
                    else 4 + QUARTERS[CURRENT].index(quarter)
                )
                quarter_damage = []
                for (street, ward), counts in TOP_STREETS.items():
                    quarter_damage += [
                        self.crime(d, "Criminal damage", ward, street=street)
                        for d in self.dated(year, quarter, counts[index])
                    ]
                top_total = sum(counts[index] for counts in TOP_STREETS.values())
                top_names = {street for street, _ in TOP_STREETS}
                for d in self.dated(year, quarter, CRIMINAL_DAMAGE[key] - top_total):
                    ward = self.ward_among(WARDS)
                    street = self.street_in(ward)
                    while street in top_names:
                        street = self.street_in(ward)
                    quarter_damage.append(self.crime(d, "Criminal damage", ward, street=street))
                for record in quarter_damage:
                    record.fields["Offence Subgroup"] = str(
                        self.rng.choice(
                            [
                                "Criminal damage to a dwelling",
                                "Criminal damage to a vehicle",
                                "Other criminal damage",
                                "Arson",
                            ]
                        )
                    )
                damage.extend(quarter_damage)
                records += quarter_vap + quarter_drugs + quarter_damage
                for group, per_quarter in OTHER_CRIME.items():
                    records += [
                        self.crime(
                            d, group, self.ward_among(WARDS), offender=self.rng.random() < 0.3
                        )
                        for d in self.dated(year, quarter, per_quarter)
                    ]
                files[key] = records
            domestic = [r for r in vap if r.fields["Domestic Abuse"] == "Y"]
            self.assign_repeats(
                domestic, "Offender ID", self.ytd(DV_REPEAT_PERPETRATORS_YTD, year), 2, "P", year
            )
            for record in vap:
                if "Offender ID" not in record.fields:
                    record.fields["Offender ID"] = (
                        self.pseudonym("P") if self.rng.random() < 0.6 else ""
                    )
            self.assign_repeats(
                drugs, "Offender ID", self.ytd(DRUG_REPEAT_OFFENDERS_YTD, year), 2, "P", year
            )
            for record in drugs:
                record.fields["Victim ID"] = ""
            self.assign_repeats(
                damage, "Victim ID", self.ytd(CD_REPEAT_VICTIMS_YTD, year), 2, "V", year
            )
            for record in damage:
                record.fields.setdefault(
                    "Offender ID", self.pseudonym("P") if self.rng.random() < 0.15 else ""
                )
            for records in (files[(year, q)] for q in quarters):
                for record in records:
                    record.fields.setdefault("Victim ID", self.pseudonym("V"))
                    record.fields.setdefault("Offender ID", "")
        return files

    def crime(
        self,
        date: dt.date,
        group: str,
        ward: str,
        *,
        street: str | None = None,
        subgroup: str | None = None,
        offender: bool = False,
    ) -> Record:
        fields: dict[str, object] = {
            "Crime Reference": f"CR/{date.year}/{self.next_id('', 6)}",
            "Date Recorded": date,
            "Offence Group": group,
            "Offence Subgroup": subgroup or group,
            "Ward": ward,
            "Street": street or self.street_in(ward),
            "Domestic Abuse": "N",
        }
        if offender:
            fields["Offender ID"] = self.pseudonym("P")
        return Record(date, fields)

    @staticmethod
    def ytd(targets: dict[tuple[int, int], int], year: int) -> dict[int, int]:
        return {q: n for (y, q), n in targets.items() if y == year}

    # ASB: police incidents, MAASBT calls and RSL calls, with callers shared across the three ---------

    def asb(self) -> dict[str, dict[tuple[int, int], list[Record]]]:
        sources = {
            "police_asb": (POLICE_ASB_TOP_FIVE, POLICE_ASB_OTHER),
            "maasbt_asb": (MAASBT_TOP_FIVE, MAASBT_OTHER),
            "rsl_asb": (RSL_TOP_FIVE, RSL_OTHER),
        }
        files: dict[str, dict[tuple[int, int], list[Record]]] = {name: {} for name in sources}
        for year, quarters in QUARTERS.items():
            callers: list[Record] = []
            for quarter in quarters:
                key = (year, quarter)
                for name, (top, other) in sources.items():
                    records = [
                        self.asb_record(name, d, self.ward_among(TOP_FIVE))
                        for d in self.dated(year, quarter, top[key])
                    ] + [
                        self.asb_record(name, d, self.ward_among(OTHER_WARDS))
                        for d in self.dated(year, quarter, other[key])
                    ]
                    files[name][key] = records
                    for record in records:
                        if name == "police_asb" and self.rng.random() < 0.1:
                            record.fields["Caller ID"] = ""  # raised by an officer, no caller
                        else:
                            callers.append(record)
            self.assign_repeats(
                callers, "_caller", self.ytd(REPEAT_CALLERS_YTD, year), 3, "C", year
            )
            for record in callers:
                column = {
                    "police_asb": "Caller ID",
                    "maasbt_asb": "Caller ID",
                    "rsl_asb": "Complainant ID",
                }[record.fields.pop("_source")]
                record.fields[column] = record.fields.pop("_caller")
        for records in files["police_asb"].values():
            for record in records:
                record.fields.pop("_source", None)
        return files

    def asb_record(self, source: str, date: dt.date, ward: str) -> Record:
        if source == "police_asb":
            fields = {
                "Incident Number": self.next_id("ASB", 7),
                "Incident Date": date,
                "Ward": ward,
                "Street": self.street_in(ward),
            }
        elif source == "maasbt_asb":
            fields = {
                "Case Ref": self.next_id("MAASBT-", 5),
                "Date Received": date,
                "Ward": ward,
                "Category": str(
                    self.rng.choice(["Noise", "Youth nuisance", "Neighbour dispute", "Vandalism"])
                ),
            }
        else:
            fields = {
                "Reference": self.next_id("RSL", 6),
                "Date Reported": dt.datetime(date.year, date.month, date.day),
                "Landlord": str(
                    self.rng.choice(["Tristar Homes", "Endeavour HA", "Erimus Housing"])
                ),
                "Ward": ward,
            }
        fields["_source"] = source
        return Record(date, fields)

    # Other partners ---------------------------------------------------------------------------------

    def section27(self) -> dict[tuple[int, int], list[Record]]:
        return {
            key: [
                Record(
                    d,
                    {
                        "Notice Ref": self.next_id("S27-", 5),
                        "Date Issued": d,
                        "Ward": (w := self.ward_among(TOP_FIVE)),
                        "Location": self.street_in(w),
                    },
                )
                for d in self.dated(*key, n)
            ]
            for key, n in SECTION_27.items()
        }

    def arrest_referral(self) -> dict[tuple[int, int], list[Record]]:
        files: dict[tuple[int, int], list[Record]] = {}
        for year, quarters in QUARTERS.items():
            positives = []
            for quarter in quarters:
                records = []
                for d in self.dated(year, quarter, ARREST_REFERRAL_TESTS[(year, quarter)]):
                    positive = self.rng.random() < 0.6
                    record = Record(
                        d,
                        {
                            "Test Ref": self.next_id("AR", 6),
                            "Test Date": d,
                            "Result": "Positive" if positive else "Negative",
                            "Substance": str(
                                self.rng.choice(["Opiates", "Cocaine", "Opiates and cocaine"])
                            )
                            if positive
                            else "",
                        },
                    )
                    (positives if positive else records).append(record)
                    if not positive:
                        record.fields["Person ID"] = self.pseudonym("A")
                files[(year, quarter)] = records
            self.assign_repeats(
                positives, "Person ID", self.ytd(REPEAT_POSITIVE_TESTERS_YTD, year), 2, "A", year
            )
            for record in positives:
                quarter = next(q for q in quarters if record.month in quarter_months(year, q))
                files[(year, quarter)].append(record)
        for records in files.values():
            records.sort(key=lambda r: r.date)
        return files

    def hcc(self) -> tuple[dict, dict]:
        cohort_ids = [self.pseudonym("H") for _ in range(34)]
        convictions = {
            key: [
                Record(
                    d,
                    {
                        "Conviction Ref": self.next_id("CON", 6),
                        "HCC ID": str(self.rng.choice(cohort_ids)),
                        "Conviction Date": d,
                        "Offence": str(
                            self.rng.choice(
                                [
                                    "Theft",
                                    "Burglary",
                                    "Assault",
                                    "Criminal damage",
                                    "Breach of order",
                                ]
                            )
                        ),
                    },
                )
                for d in self.dated(*key, n)
            ]
            for key, n in HCC_CONVICTIONS.items()
        }
        snapshots = {}
        for key, (treated, non_users, refusing) in HCC_COHORT.items():
            members = self.rng.choice(
                cohort_ids, size=treated + non_users + refusing, replace=False
            )
            statuses = (
                ["In treatment"] * treated
                + ["Non-drug user"] * non_users
                + ["Refuses treatment"] * refusing
            )
            end = quarter_months(*key)[-1]
            snapshots[key] = [
                Record(dt.date(end[0], end[1], 28), {"HCC ID": str(m), "Treatment Status": s})
                for m, s in zip(members, statuses, strict=True)
            ]
        return convictions, snapshots

    def ndtms(self) -> tuple[dict, dict]:
        clients = {}
        for key, (female, total) in NDTMS_CLIENTS.items():
            end = quarter_months(*key)[-1]
            sexes = ["Female"] * female + ["Male"] * (total - female)
            clients[key] = [
                Record(
                    dt.date(end[0], end[1], 28),
                    {
                        "Client ID": self.pseudonym("N"),
                        "Sex": s,
                        "Age Band": str(
                            self.rng.choice(["18-24", "25-34", "35-44", "45-54", "55+"])
                        ),
                        "Primary Substance": str(
                            self.rng.choice(["Opiates", "Crack", "Cannabis", "Cocaine"])
                        ),
                    },
                )
                for s in self.rng.permutation(sexes)
            ]
        exits: dict[tuple[int, int], list[Record]] = {}
        for year, monthly in NDTMS_EXITS.items():
            for month, (planned, total) in zip(fy_months(year), monthly, strict=False):
                quarter = (fy_months(year).index(month)) // 3 + 1
                flags = ["Y"] * planned + ["N"] * (total - planned)
                for flag in self.rng.permutation(flags):
                    d = self.date_in(month)
                    exits.setdefault((year, quarter), []).append(
                        Record(
                            d,
                            {
                                "Episode ID": self.next_id("EP", 6),
                                "Client ID": self.pseudonym("N"),
                                "Discharge Date": d,
                                "Discharge Reason": "Treatment completed - drug free"
                                if flag == "Y"
                                else str(
                                    self.rng.choice(
                                        [
                                            "Dropped out",
                                            "Transferred - not in custody",
                                            "Prison",
                                            "Treatment declined",
                                        ]
                                    )
                                ),
                                "Planned Exit": flag,
                            },
                        )
                    )
        return clients, exits

    def alcohol_requirements(self) -> dict[tuple[int, int], list[Record]]:
        offenders = [self.pseudonym("P") for _ in range(25)]
        return {
            (CURRENT, q): [
                Record(
                    d,
                    {
                        "Offence Ref": self.next_id("PRB", 6),
                        "Offender ID": str(self.rng.choice(offenders)),
                        "Requirement": str(self.rng.choice(["ATR", "ASAR"])),
                        "Offence Date": d,
                        "Alcohol Related": "Y" if self.rng.random() < 0.7 else "N",
                    },
                )
                for d in self.dated(CURRENT, q, n)
            ]
            for q, n in ALCOHOL_REQUIREMENT_OFFENCES.items()
        }

    def marac(self) -> dict[tuple[int, int], list[Record]]:
        return {
            (CURRENT, q): [
                Record(
                    d,
                    {
                        "Case Ref": self.next_id("MARAC", 5),
                        "Conference Date": d,
                        "Victim ID": self.pseudonym("V"),
                        "Repeat": "Y" if self.rng.random() < 0.25 else "N",
                        "Engaged with Harbour": "Y" if self.rng.random() < 0.6 else "N",
                    },
                )
                for d in self.dated(CURRENT, q, n)
            ]
            for q, n in MARAC_CASES.items()
        }


HEADERS = {
    "police_crime": ["Crime Reference", "Date Recorded", "Offence Group", "Offence Subgroup", "Ward",
                     "Street", "Victim ID", "Offender ID", "Domestic Abuse"],
    "police_asb": ["Incident Number", "Incident Date", "Ward", "Street", "Caller ID"],
    "maasbt_asb": ["Case Ref", "Date Received", "Ward", "Caller ID", "Category"],
    "rsl_asb": ["Reference", "Date Reported", "Landlord", "Ward", "Complainant ID"],
    "section27": ["Notice Ref", "Date Issued", "Ward", "Location"],
    "arrest_referral": ["Test Ref", "Test Date", "Person ID", "Result", "Substance"],
    "hcc_convictions": ["Conviction Ref", "HCC ID", "Conviction Date", "Offence"],
    "hcc_cohort": ["HCC ID", "Treatment Status"],
    "ndtms_clients": ["Client ID", "Sex", "Age Band", "Primary Substance"],
    "ndtms_exits": ["Episode ID", "Client ID", "Discharge Date", "Discharge Reason", "Planned Exit"],
    "alcohol_requirements": ["Offence Ref", "Offender ID", "Requirement", "Offence Date", "Alcohol Related"],
    "marac": ["Case Ref", "Conference Date", "Victim ID", "Repeat", "Engaged with Harbour"],
}  # fmt: skip


class Writer:
    """Writes extracts the way partners do: dd/mm/yyyy, odd spellings, spaces, duplicates, blanks."""

    def __init__(
        self, out: Path, rng: np.random.Generator, availability: dict[tuple[str, str], str]
    ) -> None:
        self.out, self.rng, self.availability = out, rng, availability
        self.written: list[Path] = []

    def path(self, year: int, quarter: int | None, name: str) -> Path:
        folder = self.out / f"{year}-{(year + 1) % 100:02d}"
        return folder / f"Q{quarter}" / name if quarter else folder / name

    def period_key(self, source: str, year: int, quarter: int) -> tuple[str, str]:
        return source, f"{year}-{(year + 1) % 100:02d} Q{quarter}"

    def write(
        self, source: str, files: dict[tuple[int, int], list[Record]], *, excel: bool = False
    ) -> None:
        for (year, quarter), records in sorted(files.items()):
            key = self.period_key(source, year, quarter)
            if key in self.availability:
                data_to = self.availability[key]
                if not data_to:
                    continue  # not yet published: no file
                last = tuple(int(x) for x in data_to.split("-"))
                records = [r for r in records if r.month <= last]
            rows = [self.messy(r.fields) for r in sorted(records, key=lambda r: r.date)]
            for _ in range(int(self.rng.integers(1, 4))):
                rows.insert(
                    int(self.rng.integers(0, len(rows))),
                    dict(rows[int(self.rng.integers(0, len(rows)))]),
                )
            target = self.path(year, quarter, f"{source}.{'xlsx' if excel else 'csv'}")
            (self.write_excel if excel else self.write_csv)(target, HEADERS[source], rows)

    def messy(self, fields: dict[str, object]) -> dict[str, object]:
        row = dict(fields)
        ward = row.get("Ward")
        if isinstance(ward, str) and ward in WARD_SPELLINGS and self.rng.random() < 0.25:
            row["Ward"] = str(self.rng.choice(WARD_SPELLINGS[ward]))
        for key, value in row.items():
            if isinstance(value, str) and value and self.rng.random() < 0.02:
                row[key] = f" {value} " if self.rng.random() < 0.5 else f"{value}  "
        return row

    def write_csv(self, path: Path, headers: list[str], rows: list[dict[str, object]]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        blank_at = int(self.rng.integers(1, len(rows))) if len(rows) > 2 else -1
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(headers)
            for i, row in enumerate(rows):
                if i == blank_at:
                    handle.write("\r\n")
                writer.writerow([self.cell(row.get(h, "")) for h in headers])
        self.written.append(path)

    @staticmethod
    def cell(value: object) -> str:
        if isinstance(value, dt.date):
            return value.strftime("%d/%m/%Y")
        return str(value)

    def write_excel(self, path: Path, headers: list[str], rows: list[dict[str, object]]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        book = Workbook()
        sheet = book.active
        sheet.title = "ASB calls"
        sheet.append(headers)
        blank_at = int(self.rng.integers(1, len(rows))) if len(rows) > 2 else -1
        for i, row in enumerate(rows):
            if i == blank_at:
                sheet.append([None] * len(headers))
            sheet.append([row.get(h, "") or None for h in headers])
        for cell in sheet["B"][1:]:
            cell.number_format = "DD/MM/YYYY"
        book.properties.created = book.properties.modified = dt.datetime(2011, 10, 10, 9, 0)
        book.save(path)
        self.written.append(path)


def write_sample(out: Path, seed: int = 201112) -> list[Path]:
    """Generate the whole sample into `out` (e.g. data/raw/stockton)."""
    availability = {}
    with (HERE / "availability.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            availability[(row["source"], row["period"])] = row.get("data_to", "")
    sample = Sample(seed)
    writer = Writer(out, sample.rng, availability)
    crime = sample.police_crime()
    # A partner re-sends two of March's records in the next quarter's file.
    crime[(CURRENT, 1)].extend(Record(r.date, dict(r.fields)) for r in crime[(BASE, 4)][-2:])
    writer.write("police_crime", crime)
    asb = sample.asb()
    for record in asb["police_asb"][(BASE, 2)][-3:]:  # outside the top five: no measure moves
        record.fields["Ward"] = "Not Known"
        record.fields["Street"] = ""
    asb["police_asb"][(BASE, 2)][-1].fields["Ward"] = ", ".join(MISPLACED["police_asb"])
    # An RSL call outside the top five, in a ward partners spell one way (so no random draw moves).
    call = next(
        record
        for record in asb["rsl_asb"][(CURRENT, 1)]
        if record.fields["Ward"] in OTHER_WARDS and record.fields["Ward"] not in WARD_SPELLINGS
    )
    call.fields["Ward"] = ", ".join(MISPLACED["rsl_asb"])
    writer.write("police_asb", asb["police_asb"])
    writer.write("maasbt_asb", asb["maasbt_asb"])
    writer.write("rsl_asb", asb["rsl_asb"], excel=True)
    writer.write("section27", sample.section27())
    writer.write("arrest_referral", sample.arrest_referral())
    convictions, cohort = sample.hcc()
    writer.write("hcc_convictions", convictions)
    writer.write("hcc_cohort", cohort)
    clients, exits = sample.ndtms()
    writer.write("ndtms_clients", clients)
    writer.write("ndtms_exits", exits)
    writer.write("alcohol_requirements", sample.alcohol_requirements())
    writer.write("marac", sample.marac())
    survey = writer.path(BASE, None, "perception_survey.csv")
    writer.write_csv(
        survey,
        ["Question", "Fieldwork End", "Respondents", "Percent Agreeing"],
        [
            {
                "Question": "ASB is a very or fairly big problem",
                "Fieldwork End": dt.date(2011, 2, 18),
                "Respondents": 1104,
                "Percent Agreeing": "28.4",
            },
            {
                "Question": "Feel safe outside after dark",
                "Fieldwork End": dt.date(2011, 2, 18),
                "Respondents": 1104,
                "Percent Agreeing": "61.2",
            },
        ],
    )
    (out / MARKER).write_text(
        "Synthetic sample written by samples/stockton/generate.py\n", encoding="utf-8"
    )
    for name in ("commentary.csv", "availability.csv"):
        target = writer.path(CURRENT, None, name)
        shutil.copyfile(HERE / name, target)
        writer.written.append(target)
    return writer.written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE.parents[1] / "data" / "raw" / "stockton")
    parser.add_argument("--seed", type=int, default=201112)
    parser.add_argument("--force", action="store_true", help="replace an existing sample")
    args = parser.parse_args(argv)
    if args.out.exists() and any(args.out.iterdir()):
        if not (args.out / MARKER).exists():
            print(f"{args.out} holds extracts this generator did not write; leaving them alone")
            return 1
        if not args.force:
            print(f"{args.out} already holds the sample (use --force to regenerate it)")
            return 0
        shutil.rmtree(args.out)
    written = write_sample(args.out, args.seed)
    print(f"wrote {len(written)} files under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
