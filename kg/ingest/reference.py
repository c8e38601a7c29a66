"""Reference tables (countries, groups, organisations, SDGs) read from bundled CSV files.

Everything is read as strings: M49 codes keep their leading zeros and Namibia's 'NA' stays
a code. The tables are data; this module only reads and checks them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from kg.errors import SourceError

SOURCES_DIR = Path(str(resources.files("kg") / "sources"))
REFERENCE_DIR = SOURCES_DIR / "reference"
PAGES_DIR = Path(str(resources.files("kg") / "sources" / "pages"))
ONTOLOGY_DIR = Path(__file__).resolve().parents[2] / "ontology"


def read_csv(path: Path, required: list[str]) -> list[dict[str, str]]:
    """Read a CSV file as a list of string dicts, checking the header and row widths."""
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                raise SourceError(path, 1, "empty CSV file: expected a header row")
            missing = [c for c in required if c not in header]
            if missing:
                raise SourceError(path, 1, f"missing column(s): {', '.join(missing)}")
            rows = []
            for n, row in enumerate(reader, start=2):
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    raise SourceError(path, n, f"{len(row)} cells, the header has {len(header)} (quote commas)")
                rows.append(dict(zip(header, row, strict=True)))
            return rows
    except OSError as exc:
        raise SourceError(path, None, f"cannot read ({exc.strerror})") from exc


@dataclass(frozen=True)
class Region:
    """An M49 region, sub-region or intermediate region."""

    code: str
    name: str
    level: str  # region / subregion / intermediate
    parent: str | None


@dataclass
class Reference:
    """All reference tables, checked and indexed."""

    countries: dict[str, dict[str, str]]  # iso3 -> row
    regions: dict[str, Region]
    groups: dict[str, dict[str, str]]
    organisations: dict[str, dict[str, str]]
    country_aliases: list[dict[str, str]]
    graduations: dict[str, dict[str, str]]  # iso3 -> row
    group_members: list[dict[str, str]]  # listed memberships (regional commissions, Asia-Pacific)
    sdg_goals: list[dict[str, str]]
    sdg_targets: list[dict[str, str]]
    sdg_indicators: list[dict[str, str]]
    register: list[dict[str, str]]
    sdg_codes: set[str] = field(default_factory=set)


def load_reference(directory: Path = REFERENCE_DIR) -> Reference:
    """Read and cross-check every reference table in ``directory``."""
    d = directory
    countries_rows = read_csv(d / "countries.csv", ["m49", "iso2", "iso3", "name", "ldc"])
    countries = {r["iso3"]: r for r in countries_rows}
    regions: dict[str, Region] = {}
    for r in countries_rows:
        levels = [
            ("region", r["region_code"], r["region_name"], None),
            ("subregion", r["subregion_code"], r["subregion_name"], r["region_code"]),
            (
                "intermediate",
                r["intermediate_region_code"],
                r["intermediate_region_name"],
                r["subregion_code"],
            ),
        ]
        for level, code, name, parent in levels:
            if code and code not in regions:
                regions[code] = Region(code, name, level, parent or None)
    orgs = {
        r["id"]: r
        for r in read_csv(
            d / "organisations.csv", ["id", "name", "type", "parent", "successor", "renamed_in", "funded_by"]
        )
    }
    for oid, r in orgs.items():
        for column in ("parent", "successor", "funded_by"):
            if r.get(column) and r[column] not in orgs:
                raise SourceError(d / "organisations.csv", None, f"{oid}: unknown {column} {r[column]!r}")
        if r["country"] and r["country"] not in countries:
            raise SourceError(d / "organisations.csv", None, f"{oid}: unknown country {r['country']!r}")
    aliases = read_csv(d / "country_aliases.csv", ["alias", "iso3", "method"])
    for a in aliases:
        if a["iso3"] not in countries:
            raise SourceError(d / "country_aliases.csv", None, f"{a['alias']}: unknown iso3 {a['iso3']!r}")
    grads = {r["iso3"]: r for r in read_csv(d / "ldc_graduations.csv", ["iso3", "graduated", "status"])}
    groups = {
        r["id"]: r
        for r in read_csv(d / "country_groups.csv", ["id", "label", "kind", "organisation", "source", "note"])
    }
    members = read_csv(d / "group_members.csv", ["group", "iso3", "membership", "regional"])
    for n, m in enumerate(members, start=2):
        where = d / "group_members.csv"
        if m["group"] not in groups:
            raise SourceError(where, n, f"unknown group {m['group']!r} (not in country_groups.csv)")
        if m["iso3"] not in countries:
            raise SourceError(where, n, f"unknown iso3 {m['iso3']!r}")
        if m["membership"] not in ("member", "associate member") or m["regional"] not in ("true", "false"):
            raise SourceError(where, n, "membership is 'member' or 'associate member', regional 'true' or 'false'")
    for gid, g in groups.items():
        if g["organisation"] and g["organisation"] not in orgs:
            raise SourceError(d / "country_groups.csv", None, f"{gid}: unknown organisation {g['organisation']!r}")
    ref = Reference(
        countries=countries,
        regions=regions,
        groups=groups,
        organisations=orgs,
        country_aliases=aliases,
        graduations=grads,
        group_members=members,
        sdg_goals=read_csv(d / "sdg_goals.csv", ["goal", "title", "kos_uri"]),
        sdg_targets=read_csv(d / "sdg_targets.csv", ["target", "goal", "title", "kos_uri"]),
        sdg_indicators=read_csv(d / "sdg_indicators.csv", ["indicator", "target", "unsd_code"]),
        register=read_csv(d / "project_register.csv", ["doc", "match", "key", "title", "evidence", "kind", "part_of"]),
    )
    ref.sdg_codes = (
        {g["goal"] for g in ref.sdg_goals}
        | {t["target"] for t in ref.sdg_targets}
        | {i["indicator"] for i in ref.sdg_indicators}
    )
    return ref


@cache
def bundled_reference() -> Reference:
    """The bundled reference tables, read once per process."""
    return load_reference()
