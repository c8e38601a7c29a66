"""The text checks as triples: possible misspellings and near-duplicate texts, in graph/text-checks.

They are computed in Python (a dictionary, MinHash) and written as nodes, so SHACL rules report them
with severities like every other finding and SPARQL can query them.
"""

from __future__ import annotations

from collections import defaultdict

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from kg import namespaces as ns
from kg.mapping import Quad
from kg.namespaces import SDGKG
from kg.quality.near_duplicates import find_near_duplicates
from kg.quality.spelling import find_misspellings

GRAPH = ns.graph_iri("text-checks")


def _fields(quads: list[Quad]) -> list[tuple[str, str, str, str, int | None]]:
    """``(record, graph, field, text, line)`` for every source field with a text as written."""
    owner: dict[URIRef, tuple[URIRef, URIRef]] = {}
    text: dict[URIRef, str] = {}
    line: dict[URIRef, int] = {}
    kinds: dict[URIRef, set[URIRef]] = defaultdict(set)
    for s, p, o, g in quads:
        if p == SDGKG.hasField:
            owner[o] = (s, g)  # type: ignore[index]
        elif p == SDGKG.asWritten:
            text[s] = str(o)  # type: ignore[index]
        elif p == SDGKG.line:
            line[s] = int(o)  # type: ignore[index, call-overload]
        elif p == RDF.type:
            kinds[s].add(o)  # type: ignore[index, arg-type]
    return [
        (str(owner[f][0]), str(owner[f][1]), str(f), text[f], line.get(f))
        for f in sorted(owner)
        if f in text and SDGKG.SourceField in kinds[f]
    ]


def text_check_quads(quads: list[Quad]) -> list[Quad]:
    """Misspelling and near-duplicate nodes for the records' source fields."""
    fields = _fields(quads)
    out: list[Quad] = []
    for m in find_misspellings(fields):
        node = URIRef(f"{m.field}/misspelling/{m.word}")
        out += [
            (node, RDF.type, SDGKG.PossibleMisspelling, GRAPH),
            (node, SDGKG.misspellingIn, URIRef(m.record), GRAPH),
            (node, SDGKG.checkedField, URIRef(m.field), GRAPH),
            (node, SDGKG.asWritten, Literal(m.word), GRAPH),
            (node, SDGKG.suggestedSpelling, Literal(m.suggestion), GRAPH),
            (node, RDFS.label, Literal(f"'{m.word}' (did the source mean '{m.suggestion}'?)"), GRAPH),
        ]
        if m.line is not None:
            out.append((node, SDGKG.line, Literal(m.line, datatype=XSD.integer), GRAPH))
    for d in find_near_duplicates((r, f, t) for r, _, f, t, _ in fields):
        node = URIRef(f"{d.left[1]}/near-duplicate/{_tail(d.right[1])}")
        out += [
            (node, RDF.type, SDGKG.NearDuplicateText, GRAPH),
            (node, SDGKG.duplicateOf, URIRef(d.left[0]), GRAPH),
            (node, SDGKG.duplicateOf, URIRef(d.right[0]), GRAPH),
            (node, SDGKG.checkedField, URIRef(d.left[1]), GRAPH),
            (node, SDGKG.checkedField, URIRef(d.right[1]), GRAPH),
            (node, SDGKG.similarity, Literal(d.similarity, datatype=XSD.decimal), GRAPH),
            (node, RDFS.label, Literal(f"near-duplicate text (Jaccard {d.similarity:.2f} of 5-word shingles)"), GRAPH),
        ]
    return out


def _tail(iri: str) -> str:
    """A stable, readable IRI tail for the other field: its graph path after /graph/source/."""
    return iri.split("/graph/source/", 1)[-1].replace("/", "-")
