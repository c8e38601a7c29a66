"""Full-text search: an SQLite FTS5 index written by the build, read by the server.

One row per resource people look for (projects, organisations, countries, groups and regions,
SDG goals, targets and indicators, source documents) with four weighted columns: its label; its
other names (alternative labels, acronyms, codes, identifiers and every name *as a source
wrote it*, so 'Buthan' is a name of Bhutan); its text (titles and descriptive sections); and the
names of what it is linked to (a project's countries, organisations and SDGs). Facets (type,
country, SDG stated or suggested, organisation, source, year) are rows of a second table.

Misspellings: every indexed word is stored with its one-letter deletions; a query word is
expanded to the indexed words sharing a one-deletion form with it (symmetric delete: one
substitution, insertion, deletion or transposition), so 'Buthan' and 'Bhutan' find the same
resources.
"""

from __future__ import annotations

import errno
import html
import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg.enrich.boolean import fold

INDEX_FILE = "search.sqlite"
FACETS = ("type", "country", "sdg", "sdg-suggested", "organisation", "source", "year")
WEIGHTS = (10.0, 5.0, 1.0, 0.5)  # label, names, text, related
_WORD = re.compile(r"[a-z0-9]+")
_MARK_OPEN, _MARK_CLOSE = "\x02", "\x03"

TYPES = {
    "https://w3id.org/sdgkg/ontology#Project": "project",
    "https://w3id.org/sdgkg/ontology#TechnicalCooperationActivity": "technical-cooperation activity",
    "https://w3id.org/sdgkg/ontology#ProjectComponent": "project component",
    "https://w3id.org/sdgkg/ontology#Event": "event",
    "https://w3id.org/sdgkg/ontology#Publication": "publication",
    "http://www.w3.org/ns/org#Organization": "organisation",
    "https://w3id.org/sdgkg/ontology#Country": "country",
    "https://w3id.org/sdgkg/ontology#CountryGroup": "country group",
    "http://metadata.un.org/sdg/ontology#Goal": "SDG goal",
    "http://metadata.un.org/sdg/ontology#Target": "SDG target",
    "http://metadata.un.org/sdg/ontology#Indicator": "SDG indicator",
    "https://w3id.org/sdgkg/ontology#SourceDocument": "source document",
}
_P = """PREFIX sdgkg: <https://w3id.org/sdgkg/ontology#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX dct: <http://purl.org/dc/terms/>
PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX sdgo: <http://metadata.un.org/sdg/ontology#>
"""
_VALUES_TYPES = " ".join(f"<{t}>" for t in TYPES)
# (column, query): each query binds ?s (an indexed resource) and ?v (a literal to index)
COLUMN_QUERIES = [
    ("label", "SELECT ?s ?v WHERE { ?s rdfs:label|skos:prefLabel ?v }"),
    ("names", "SELECT ?s ?v WHERE { ?s skos:altLabel|skos:notation|dct:identifier|sdgkg:iso3166Alpha2"
              "|sdgkg:iso3166Alpha3|sdgkg:m49Code|sdgkg:fileName ?v }"),
    ("names", "SELECT ?s ?v WHERE { ?m sdgkg:refersTo ?s ; sdgkg:asWritten ?v }"),
    ("text", "SELECT ?s ?v WHERE { ?s dct:title|dct:description|skos:definition ?v }"),
    ("text", "SELECT ?s ?v WHERE { ?s sdgkg:hasMention/sdgkg:asWritten ?v }"),
]  # fmt: skip
# what a resource links to; its English labels and other names become the 'related' column
LINKS = "SELECT ?s ?x WHERE { ?s sdgkg:focusArea|sdgkg:involves|sdgkg:addressesSDG ?x }"
# (facet, query): each binds ?s, ?value (an IRI or literal) and ?label
FACET_QUERIES = [
    ("country", "SELECT ?s ?value ?label WHERE { ?s sdgkg:focusCountry ?value . ?value skos:prefLabel ?label }"),
    ("sdg", "SELECT ?s ?value ?label WHERE { ?s sdgkg:addressesSDG ?value . ?value a sdgo:Goal ; "
            "skos:altLabel ?label FILTER(LANG(?label) = 'en') }"),
    # the sub-select makes the engine read the small suggested graph first (40x faster at 10^5 quads)
    ("sdg-suggested", "SELECT ?s ?value ?label WHERE { { SELECT DISTINCT ?s ?value WHERE { "
                      "GRAPH <https://w3id.org/sdgkg/graph/suggested> { ?x sdgkg:suggestionFor ?s ; "
                      "sdgkg:suggestedGoal ?value ; sdgkg:confidence ?c FILTER(?c >= 0.5) } } } "
                      "?value skos:altLabel ?label FILTER(LANG(?label) = 'en') }"),
    ("organisation", "SELECT ?s ?value ?label WHERE { ?s sdgkg:involves ?value . ?value skos:prefLabel ?label }"),
    ("source", "SELECT ?s ?value ?label WHERE { ?s sdgkg:sourcePage ?value . ?value rdfs:label ?label }"),
]  # fmt: skip
YEARS = """SELECT ?s ?start ?end WHERE { ?s sdgkg:timeFrame ?t . OPTIONAL { ?t dcat:startDate ?start }
  OPTIONAL { ?t dcat:endDate ?end } }"""


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def write_index(store: ox.Store, path: Path, progress: Callable[[str], None] = lambda _m: None) -> int:
    """Index the store's resources into a new SQLite file at ``path``; returns the row count."""
    docs: dict[str, dict[str, list[str]]] = {}
    types: dict[str, str] = {}

    def select(query: str) -> ox.QuerySolutions:
        return store.query(_P + query, use_default_graph_as_union=True)  # type: ignore[return-value]

    for row in select(f"SELECT ?s ?t WHERE {{ VALUES ?t {{ {_VALUES_TYPES} }} ?s a ?t }}"):
        s, t = row["s"], row["t"]
        if isinstance(s, ox.NamedNode):
            # the most specific listed type wins (a region is a country group, a group is not a country)
            if s.value not in types or t.value.endswith(("Country", "Goal", "Target", "Indicator")):
                types[s.value] = TYPES[t.value]
    for s in types:
        docs[s] = {"label": [], "names": [], "text": [], "related": []}
    language: dict[tuple[str, str], str] = {}  # labels in another language than English
    for column, query in COLUMN_QUERIES:
        for row in select(query):
            s, v = row["s"].value, row["v"]
            if s in docs and isinstance(v, ox.Literal) and v.value not in docs[s][column]:
                docs[s][column].append(v.value)
                if column == "label" and v.language not in (None, "en"):
                    language[(s, v.value)] = v.language
    facets: set[tuple[str, str, str, str]] = {(s, "type", t, t) for s, t in types.items()}
    for facet, query in FACET_QUERIES:
        for row in select(query):
            if row["s"].value in docs:
                facets.add((row["s"].value, facet, row["value"].value, row["label"].value))
    for row in select(YEARS):
        s = row["s"].value
        start = row["start"].value[:4] if row["start"] else None
        end = row["end"].value[:4] if row["end"] else None
        if s in docs and (start or end) and (start or end or "").isdigit():
            first, last = int(start or end), int(end or start)  # type: ignore[arg-type]
            for year in range(first, min(last, first + 40) + 1):
                facets.add((s, "year", str(year), str(year)))
    for s, columns in docs.items():  # the English (or untagged) label first: it is the one shown
        columns["label"].sort(key=lambda v: (s, v) in language)
    for row in select(LINKS):  # joined here: the engine's own join of links and labels is 10x slower
        s, x = row["s"].value, row["x"].value
        if s in docs and x in docs:
            names = [v for v in docs[x]["label"] if (x, v) not in language] + docs[x]["names"][:3]
            docs[s]["related"] += [v for v in names if v not in docs[s]["related"]]
    progress(f"      search index: {len(docs)} resources, {len(facets)} facet values")
    try:
        _write(path, types, docs, facets)
    except sqlite3.Error as exc:  # a full disk, a file-size limit: the build reports it like any write
        raise OSError(errno.EIO, f"cannot write the search index ({exc})", str(path)) from None
    return len(docs)


def _write(path: Path, types: dict[str, str], docs: dict, facets: set[tuple[str, str, str, str]]) -> None:
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    try:
        db.executescript(
            """
            CREATE VIRTUAL TABLE docs USING fts5(label, names, text, related, iri UNINDEXED, type UNINDEXED,
                tokenize = 'unicode61 remove_diacritics 2');
            CREATE TABLE facets (doc INTEGER, facet TEXT, value TEXT, label TEXT);
            CREATE TABLE deletes (variant TEXT, term TEXT);
            """
        )
        rowid = {iri: n for n, iri in enumerate(sorted(docs), start=1)}
        db.executemany(
            "INSERT INTO docs (rowid, label, names, text, related, iri, type) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    rowid[s],
                    (c["label"] or [s.rsplit("/", 1)[-1]])[0],
                    "\n".join(c["label"][1:] + c["names"]),
                    "\n".join(c["text"]),
                    "\n".join(c["related"]),
                    s,
                    types[s],
                )
                for s, c in sorted(docs.items())
            ),
        )
        db.executemany(
            "INSERT INTO facets VALUES (?, ?, ?, ?)", ((rowid[s], f, v, lb) for s, f, v, lb in sorted(facets))
        )
        db.execute("CREATE VIRTUAL TABLE vocab USING fts5vocab(docs, 'row')")
        terms = [t for (t,) in db.execute("SELECT term FROM vocab") if len(t) >= 4 and not t.isdigit()]
        db.executemany("INSERT INTO deletes VALUES (?, ?)", ((v, t) for t in terms for v in _deletes(t) | {t}))
        db.executescript(
            """
            CREATE INDEX deletes_variant ON deletes (variant);
            CREATE INDEX facets_doc ON facets (doc, facet, value, label);
            CREATE INDEX facets_facet ON facets (facet, value, doc);
            """
        )
        db.commit()
    finally:
        db.close()


@dataclass(frozen=True)
class Hit:
    """One search result."""

    iri: str
    label: str
    type: str
    score: float
    snippet: str  # HTML: the text escaped, the matched words in <mark>


@dataclass
class Results:
    """A page of hits, the total, the facet counts over all hits, and how words were expanded."""

    query: str
    total: int
    hits: list[Hit]
    facets: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    expanded: dict[str, list[str]] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        """The /api/search answer."""
        return {
            "query": self.query,
            "total": self.total,
            "hits": [h.__dict__ for h in self.hits],
            "facets": self.facets,
            "expanded": self.expanded,
        }

    def values_block(self, variable: str = "resource") -> str:
        """The hits as a SPARQL VALUES block, to paste into a query."""
        return f"VALUES ?{variable} {{\n" + "".join(f"  <{h.iri}>\n" for h in self.hits) + "}"


class SearchUnavailable(Exception):
    """No index in this build (a remote store, or a build older than the search index)."""


class Searcher:
    """Reads one build's index; open it per request or keep it per build."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise SearchUnavailable(f"{path} does not exist; rebuild with `kg build` to get full-text search")
        self.db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)

    def close(self) -> None:
        """Release the file."""
        self.db.close()

    def expand(self, word: str) -> list[str]:
        """``word`` and the indexed words that share a one-deletion form with it.

        That covers one substitution, insertion, deletion or adjacent transposition, and a letter
        moved by two places ('buthan' ~ 'bhutan'); words under four letters are not expanded.
        """
        if len(word) < 4 or word.isdigit():
            return [word]
        variants = list(_deletes(word) | {word})
        marks = ",".join("?" * len(variants))
        found = {
            t for (t,) in self.db.execute(f"SELECT DISTINCT term FROM deletes WHERE variant IN ({marks})", variants)
        }
        return [word, *sorted(found - {word})]

    def search(
        self,
        text: str,
        filters: dict[str, list[str]] | None = None,
        *,
        limit: int = 20,
        offset: int = 0,
    ) -> Results:
        """Resources matching every word of ``text`` (or a near spelling), best first."""
        words = _WORD.findall(fold(text))[:12]
        if not words:
            return Results(text, 0, [])
        expanded = {w: self.expand(w) for w in words}
        groups = []
        for i, w in enumerate(words):
            options = [f'"{t}"' for t in expanded[w]]
            if i == len(words) - 1 and len(w) >= 2:
                options.append(f'"{w}"*')  # the last word may be unfinished
            groups.append("(" + " OR ".join(options) + ")")
        match = " AND ".join(groups)
        weights = ", ".join(map(str, WEIGHTS))
        # one full-text match; filters, paging and facet counts work on its row ids
        ranked = self.db.execute(
            f"SELECT rowid, bm25(docs, {weights}) FROM docs WHERE docs MATCH ?", [match]
        ).fetchall()
        for facet, values in (filters or {}).items():
            for value in values:
                allowed = {d for (d,) in self.db.execute(
                    "SELECT doc FROM facets WHERE facet = ? AND value = ?", (facet, value))}  # fmt: skip
                ranked = [r for r in ranked if r[0] in allowed]
        ranked.sort(key=lambda r: (r[1], r[0]))
        total = len(ranked)
        page = [d for d, _rank in ranked[offset : offset + limit]]
        found = {}
        if page:
            marks = ",".join("?" * len(page))
            for doc, iri, label, kind, rank, snip in self.db.execute(
                f"""SELECT rowid, iri, label, type, bm25(docs, {weights}), snippet(docs, -1, ?, ?, '…', 24)
                    FROM docs WHERE docs MATCH ? AND rowid IN ({marks})""",
                [_MARK_OPEN, _MARK_CLOSE, match, *page],
            ):
                found[doc] = Hit(iri, label, kind, round(-rank, 4), _marked(snip))
        hits = [found[d] for d in page if d in found]
        facets: dict[str, list[dict[str, object]]] = {}
        counted = self.db.execute(
            """SELECT f.facet, f.value, MAX(f.label), COUNT(*) FROM json_each(?) j JOIN facets f ON f.doc = j.value
               GROUP BY 1, 2""",
            [json.dumps([d for d, _rank in ranked])],
        ).fetchall()
        for facet, value, label, n in sorted(counted, key=lambda r: (r[0], -r[3], r[2])):
            facets.setdefault(facet, []).append({"value": value, "label": label, "count": n})
        shown = {w: e[1:] for w, e in expanded.items() if len(e) > 1}
        return Results(text, total, hits, facets, shown)


def _marked(snippet: str) -> str:
    return html.escape(snippet).replace(_MARK_OPEN, "<mark>").replace(_MARK_CLOSE, "</mark>")
