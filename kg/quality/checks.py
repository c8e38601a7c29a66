"""The text checks as triples in graph/text-checks: misspellings, near duplicates, dates, regions.

Possible misspellings, near-duplicate texts, dates written outside the time frame, and regions named
that the focus countries do not fit.

They are computed in Python (a dictionary, MinHash, date and region patterns) and written as nodes,
so SHACL rules report them with severities like every other finding and SPARQL can query them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, XSD

from kg.graph import namespaces as ns
from kg.graph.mapping import Quad
from kg.graph.namespaces import SCHEMA, SDGKG
from kg.ingest.reference import Reference
from kg.quality.dates import DatedText, find_contradicting_ends, find_dates_outside
from kg.quality.near_duplicates import find_near_duplicates
from kg.quality.regions import RegionText, find_region_mismatches
from kg.quality.spelling import find_misspellings

GRAPH = ns.graph_iri("text-checks")


@dataclass
class _Index:
    """What the checks read from the mapped quads, gathered in one pass."""

    owner: dict[URIRef, tuple[URIRef, URIRef]] = field(default_factory=dict)  # field -> (record, graph)
    text: dict[URIRef, str] = field(default_factory=dict)
    line: dict[URIRef, int] = field(default_factory=dict)
    name: dict[URIRef, str] = field(default_factory=dict)  # field -> fieldName
    label: dict[URIRef, str] = field(default_factory=dict)  # field -> labelAsWritten
    kinds: dict[URIRef, set[URIRef]] = field(default_factory=lambda: defaultdict(set))
    start: dict[tuple[URIRef, URIRef], date] = field(default_factory=dict)  # (record, graph) -> date
    end: dict[tuple[URIRef, URIRef], date] = field(default_factory=dict)
    title: dict[tuple[URIRef, URIRef], str] = field(default_factory=dict)
    countries: dict[URIRef, set[str]] = field(default_factory=lambda: defaultdict(set))  # record -> ISO3

    @classmethod
    def of(cls, quads: list[Quad]) -> _Index:
        """One pass over the quads, with the predicates bound once.

        A Namespace attribute builds a new IRI on every access, which at 10^6 quads cost seconds.
        """
        ix = cls()
        has_field, as_written, line, field_name = SDGKG.hasField, SDGKG.asWritten, SDGKG.line, SDGKG.fieldName
        label, rdf_type, title, focus = SDGKG.labelAsWritten, RDF.type, DCTERMS.title, SDGKG.focusCountry
        start, end = SCHEMA.startDate, SCHEMA.endDate
        wanted = {has_field, as_written, line, field_name, label, rdf_type, title, focus, start, end}
        for s, p, o, g in quads:
            if p not in wanted:
                continue
            if p == has_field:
                ix.owner[o] = (s, g)  # type: ignore[index,assignment]
            elif p == as_written:
                ix.text[s] = str(o)  # type: ignore[index]
            elif p == line:
                ix.line[s] = int(o)  # type: ignore[index, call-overload]
            elif p == field_name:
                ix.name[s] = str(o)  # type: ignore[index]
            elif p == label:
                ix.label[s] = str(o)  # type: ignore[index]
            elif p == rdf_type:
                ix.kinds[s].add(o)  # type: ignore[index, arg-type]
            elif p in (start, end) and isinstance(o, Literal):
                value = o.toPython()
                if isinstance(value, date):
                    (ix.start if p == start else ix.end)[(s, g)] = value  # type: ignore[index]
            elif p == title:
                ix.title[(s, g)] = str(o)  # type: ignore[index]
            elif p == focus:
                ix.countries[s].add(str(o).rsplit("/", 1)[-1])  # type: ignore[index]
        return ix

    def fields(self) -> list[tuple[URIRef, URIRef, URIRef]]:
        """``(field, record, graph)`` of every source field with a text as written, in IRI order."""
        return [
            (f, *self.owner[f]) for f in sorted(self.owner) if f in self.text and SDGKG.SourceField in self.kinds[f]
        ]


def _fields(ix: _Index) -> list[tuple[str, str, str, str, int | None]]:
    """``(record, graph, field, text, line)`` for every source field with a text as written."""
    return [(str(r), str(g), str(f), ix.text[f], ix.line.get(f)) for f, r, g in ix.fields()]


def _dated_texts(ix: _Index) -> list[DatedText]:
    """Each field's text with its record's time frame in the same source (records without one skipped)."""
    out = []
    for f, r, g in ix.fields():
        start = ix.start.get((r, g))
        if start is None or ix.name.get(f) == "time frame":
            continue
        event = SDGKG.Event in ix.kinds[r]
        out.append(DatedText(str(r), str(f), ix.name.get(f, ""), ix.text[f], ix.line.get(f), start,
                             ix.end.get((r, g)), event))  # fmt: skip
    return out


def _region_texts(ix: _Index) -> list[RegionText]:
    """Titles and objectives of records with focus countries."""
    out = [
        RegionText(str(r), str(f), str(f), ix.label.get(f, "objective"), ix.text[f], ix.line.get(f),
                   frozenset(ix.countries[r]))
        for f, r, g in ix.fields()
        if ix.name.get(f) == "objective" and ix.countries.get(r)
    ]  # fmt: skip
    out += [
        RegionText(str(r), f"{g}/title", None, "title", title, None, frozenset(ix.countries[r]))
        for (r, g), title in sorted(ix.title.items())
        if ix.countries.get(r) and "/graph/source/" in str(g)
    ]
    return out


def text_check_quads(quads: list[Quad], ref: Reference) -> list[Quad]:
    """Misspelling, near-duplicate, date and region nodes for the records' texts."""
    ix = _Index.of(quads)
    fields = _fields(ix)
    out: list[Quad] = []
    for m in find_misspellings(fields):
        node = URIRef(f"{m.field}/misspelling/{m.word}")
        label = f"'{m.word}' (did the source mean '{m.suggestion}'?)"
        out += _field_check(node, SDGKG.PossibleMisspelling, (SDGKG.misspellingIn, m.record), m.field, m.word,
                            label, m.line, (SDGKG.suggestedSpelling, Literal(m.suggestion)))  # fmt: skip
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
    for d in find_dates_outside(_dated_texts(ix)):
        node = URIRef(f"{d.field}/date-outside/{d.first.isoformat()}")
        side = "before the start" if d.before else "after the end"
        out += _field_check(
            node, SDGKG.DateOutsideTimeFrame, (SDGKG.checkOf, d.record), d.field, d.written,
            f"'{d.written}' is {side} of the time frame", d.line,
            (SDGKG.mentionedFrom, Literal(d.first.isoformat(), datatype=XSD.date)),
            (SDGKG.mentionedUntil, Literal(d.last.isoformat(), datatype=XSD.date)),
            (SDGKG.beforeStart, Literal(d.before)),
        )  # fmt: skip
    for e in find_contradicting_ends(_dated_texts(ix)):
        node = URIRef(f"{e.field}/end-in-text")
        label = f"the text says '{e.written}', the time frame ends otherwise"
        out += _field_check(node, SDGKG.EndContradictsTimeFrame, (SDGKG.checkOf, e.record), e.field, e.written,
                            label, e.line)  # fmt: skip
    for m in find_region_mismatches(_region_texts(ix), ref):
        node = URIRef(f"{m.node}/region-mismatch")
        parts = [f"names {', '.join(m.named)}"]
        if m.empty:
            parts.append(f"no focus country is in {', '.join(m.empty)}")
        if m.outside:
            parts.append(f"focus countries outside every region named: {', '.join(m.outside)}")
        out += [
            (node, RDF.type, SDGKG.RegionMismatch, GRAPH),
            (node, SDGKG.checkOf, URIRef(m.record), GRAPH),
            (node, SDGKG.regionAsWritten, Literal(", ".join(m.named)), GRAPH),
            (node, RDFS.label, Literal(f"the {m.field_label.lower()} " + "; ".join(parts)), GRAPH),
        ]
        out += [(node, SDGKG.regionWithoutFocusCountry, Literal(w), GRAPH) for w in m.empty]
        out += [(node, SDGKG.countryOutsideRegion, ns.country_iri(c), GRAPH) for c in m.outside]
        if m.field is not None:
            out.append((node, SDGKG.checkedField, URIRef(m.field), GRAPH))
        if m.line is not None:
            out.append((node, SDGKG.line, Literal(m.line, datatype=XSD.integer), GRAPH))
    return out


def _field_check(  # noqa: PLR0913 - one node's facts
    node: URIRef,
    kind: URIRef,
    record: tuple[URIRef, str],
    field: str,
    written: str,
    label: str,
    line: int | None,
    *extra: tuple[URIRef, Literal],
) -> list[Quad]:
    """A check found in one field: its kind, record, field, text as written, label, line and extras."""
    out: list[Quad] = [
        (node, RDF.type, kind, GRAPH),
        (node, record[0], URIRef(record[1]), GRAPH),
        (node, SDGKG.checkedField, URIRef(field), GRAPH),
        (node, SDGKG.asWritten, Literal(written), GRAPH),
        (node, RDFS.label, Literal(label), GRAPH),
    ]
    out += [(node, p, o, GRAPH) for p, o in extra]
    if line is not None:
        out.append((node, SDGKG.line, Literal(line, datatype=XSD.integer), GRAPH))
    return out


def _tail(iri: str) -> str:
    """A stable, readable IRI tail for the other field: its graph path after /graph/source/."""
    return iri.split("/graph/source/", 1)[-1].replace("/", "-")
