"""Name resolution: written names of countries, groups and organisations -> reference IDs.

Matching scans a field's text for every known name (longest first, on word boundaries), so
names that contain commas or 'and' ('Trinidad and Tobago', 'UN OHRLLS' in full) survive, and
whatever is left over is reported as unresolved rather than guessed. Spelling corrections come
only from the curated alias table: a typo is never silently 'fixed' by a fuzzy match.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from kg.ingest.reference import Reference

EXACT, ALIAS, CORRECTED = "exact", "alias", "corrected"
_SEPARATORS = re.compile(r"^(?:[\s,;/&.()-]|\band\b|\bthe\b|\bcountry offices\b)*$", re.IGNORECASE)
_DASHES = {"–": "-", "—": "-", "‐": "-", "’": "'", "‘": "'", "“": '"', "”": '"'}


def _norm_char(c: str) -> str:
    c = _DASHES.get(c, c)
    base = unicodedata.normalize("NFKD", c)[:1] or c
    low = base.lower()
    return low if len(low) == 1 else base


def normalise(text: str) -> str:
    """Case- and accent-folded text of the same length, so spans map back to the original."""
    return "".join(_norm_char(c) for c in text)


@dataclass(frozen=True)
class Match:
    """One resolved name: the text as written, the kind and id it refers to, and how."""

    as_written: str
    kind: str  # country / group / region / organisation
    ident: str
    method: str


@dataclass(frozen=True)
class Unresolved:
    """A fragment of a field that matched no known name, with a suggestion if one is close."""

    as_written: str
    suggestion: str | None


class NameIndex:
    """Known names of one or more kinds, searchable in free text."""

    def __init__(self, names: dict[str, tuple[str, str, str]]) -> None:
        # normalised name -> (kind, id, method); longest alternatives first
        rank = {EXACT: 0, ALIAS: 1, CORRECTED: 2}
        self.names: dict[str, tuple[str, str, str]] = {}
        for name, value in names.items():
            key = normalise(name).strip()
            old = self.names.get(key)
            if key and (old is None or rank[value[2]] < rank[old[2]]):
                self.names[key] = value
        alternation = "|".join(re.escape(n) for n in sorted(self.names, key=len, reverse=True))
        self.pattern = re.compile(rf"(?<![a-z0-9])(?:{alternation})(?![a-z0-9])")

    def scan(self, text: str, *, suggest: bool = True) -> tuple[list[Match], list[Unresolved]]:
        """Find every known name in ``text``; return matches and unmatched fragments.

        ``suggest=False`` skips the nearest-name suggestion for fragments (difflib, the costly
        part) where only the matches are wanted.
        """
        norm = normalise(text)
        matches: list[Match] = []
        leftovers: list[str] = []
        pos = 0
        for m in self.pattern.finditer(norm):
            leftovers.append(text[pos : m.start()])
            kind, ident, method = self.names[m.group(0)]
            matches.append(Match(text[m.start() : m.end()], kind, ident, method))
            pos = m.end()
        leftovers.append(text[pos:])
        unresolved: list[Unresolved] = []
        if not suggest:
            return matches, unresolved
        for frag in leftovers:
            for piece in re.split(r",|;|\band\b", frag):
                piece = piece.strip(" .()")
                if piece and not piece.isdigit() and not _SEPARATORS.match(piece):  # "Sri Lanka(2)": a count
                    close = difflib.get_close_matches(normalise(piece), list(self.names), n=1)
                    unresolved.append(Unresolved(piece, close[0] if close else None))
        return matches, unresolved


class Resolver:
    """Resolves the names the sources write to countries, groups, regions and organisations."""

    def __init__(self, ref: Reference) -> None:
        self.ref = ref
        places: dict[str, tuple[str, str, str]] = {}
        for iso3, row in ref.countries.items():
            places[row["name"]] = ("country", iso3, EXACT)
            if row["common_name"]:
                places.setdefault(row["common_name"], ("country", iso3, ALIAS))
        for a in ref.country_aliases:
            method = CORRECTED if a["method"] == "corrected" else ALIAS
            places[a["alias"]] = ("country", a["iso3"], method)
        for code, region in ref.regions.items():
            places.setdefault(region.name, ("region", code, EXACT))
        for gid, g in ref.groups.items():
            places[g["label"]] = ("group", gid, EXACT)
            for alias in filter(None, g["aliases"].split("|")):
                places[alias] = ("group", gid, ALIAS)
        self.places = NameIndex(places)
        self.countries_only = NameIndex({k: v for k, v in places.items() if v[0] == "country"})
        orgs: dict[str, tuple[str, str, str]] = {}
        for oid, o in ref.organisations.items():
            orgs[o["name"]] = ("organisation", oid, EXACT)
            if o["acronym"]:
                orgs.setdefault(o["acronym"], ("organisation", oid, EXACT))
            for alias in filter(None, o["aliases"].split("|")):
                orgs.setdefault(alias, ("organisation", oid, ALIAS))
        self.organisations = NameIndex(orgs)

    def places_in(self, text: str) -> tuple[list[Match], list[Unresolved]]:
        """Countries, groups and regions named in a focus or region field."""
        return self.places.scan(text)

    def countries_in_prose(self, text: str) -> list[Match]:
        """Countries named anywhere in running text (teasers name their countries in prose)."""
        return self.countries_only.scan(text, suggest=False)[0]

    def organisations_in(self, text: str) -> tuple[list[Match], list[Unresolved]]:
        """Organisations named in a role field, dropping a parent named with its own unit.

        'UN DESA (DPIDG, EAPD)' names the divisions; the department is only their context.
        """
        matches, unresolved = self.organisations.scan(text)
        named = {m.ident for m in matches}
        parents = {self.ref.organisations[i]["parent"] for i in named}
        kept, seen = [], set()
        for m in matches:
            if m.ident in parents or m.ident in seen:
                continue
            seen.add(m.ident)
            kept.append(m)
        return kept, unresolved
