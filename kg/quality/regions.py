"""Regions named in a record's title or objective against the regions of its focus countries.

"… in Africa and Asia" over focus countries Bhutan, Lao PDR, Fiji and Vanuatu names a region none of
them is in and leaves two of them outside every region named: the text or the country list is wrong.
Region names and what they mean (an M49 region or a listed group such as the ESCAP region) are data
(`kg/sources/words/region-names.csv`); longer names are matched first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from kg.ingest.reference import SOURCES_DIR, Reference, read_csv

REGION_NAMES = SOURCES_DIR / "words" / "region-names.csv"


@dataclass(frozen=True)
class RegionText:
    """A title or objective of a record, and the record's focus countries (ISO alpha-3)."""

    record: str
    node: str  # where the finding's IRI is minted: the SourceField, or the appearance graph + /title
    field: str | None  # the SourceField IRI; None for a title
    field_label: str
    text: str
    line: int | None
    countries: frozenset[str]


@dataclass(frozen=True)
class RegionMismatch:
    """Regions a text names that its record's focus countries do not fit."""

    record: str
    node: str
    field: str | None
    field_label: str
    named: tuple[str, ...]  # region names as written
    empty: tuple[str, ...]  # named regions with no focus country in them
    outside: tuple[str, ...]  # focus countries in none of the named regions
    line: int | None


@cache
def _names() -> tuple[re.Pattern[str], dict[str, str]]:
    rows = read_csv(REGION_NAMES, ["written", "area"])
    areas = {r["written"].lower(): r["area"] for r in rows}
    alternatives = "|".join(re.escape(w) for w in sorted(areas, key=len, reverse=True))
    # "South Africa" and "Central African Republic" are countries, not the region.
    return re.compile(rf"(?<!South )(?<![\w-])(?:{alternatives})(?![\w-])(?! Republic)", re.IGNORECASE), areas


def members_of(area: str, ref: Reference) -> frozenset[str]:
    """ISO alpha-3 codes of an area of region-names.csv: an M49 region at any level, or a listed group."""
    kind, _, code = area.partition("/")
    if kind == "group":
        return frozenset(m["iso3"] for m in ref.group_members if m["group"] == code)
    columns = ("region_code", "subregion_code", "intermediate_region_code")
    return frozenset(iso3 for iso3, c in ref.countries.items() if any(c[k] == code for k in columns))


def find_region_mismatches(texts: Iterable[RegionText], ref: Reference) -> list[RegionMismatch]:
    """One finding per text whose named regions miss its focus countries, or hold none of them."""
    pattern, areas = _names()
    found: list[RegionMismatch] = []
    for t in texts:
        if not t.countries:
            continue
        named: dict[str, frozenset[str]] = {}
        for m in pattern.finditer(t.text):
            named.setdefault(m.group(0), members_of(areas[m.group(0).lower()], ref))
        if not named:
            continue
        union = frozenset().union(*named.values())
        empty = tuple(w for w, members in named.items() if not members & t.countries)
        outside = tuple(sorted(t.countries - union))
        if empty or outside:
            found.append(RegionMismatch(t.record, t.node, t.field, t.field_label, tuple(named), empty, outside, t.line))
    return found
