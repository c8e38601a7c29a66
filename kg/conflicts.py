"""Where the sources disagree: per project and field, the values each appearance states.

Dates are compared at the precision each source gives: '2013' and 'September 2013' agree,
'July 2016' and 'January 2017' do not. Multi-valued fields (focus countries, partners) are
compared as sets per appearance.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS

from kg import namespaces as ns
from kg.mapping import Quad
from kg.namespaces import SDGKG

COMPARED = {
    "title": DCTERMS.title,
    "start": ns.SCHEMA.startDate,
    "end": ns.SCHEMA.endDate,
    "focus countries": SDGKG.focusCountry,
    "focus groups": SDGKG.focusGroup,
    "lead division": SDGKG.leadDivision,
    "funding source": SDGKG.fundingSource,
    "partners": SDGKG.partner,
    "budget": SDGKG.budget,
}
_NAMES = {v: k for k, v in COMPARED.items()}
_TIME_FRAME = SDGKG.timeFrame
_PRECISIONS = {SDGKG.startPrecision, SDGKG.endPrecision}


@dataclass(frozen=True)
class Conflict:
    """One field of one project on which appearances disagree."""

    project: URIRef
    field: str
    stated: dict[URIRef, tuple[str, ...]]  # appearance graph -> values

    def iri(self) -> URIRef:
        """Stable IRI of this conflict."""
        return URIRef(f"{self.project}/conflict/{self.field.replace(' ', '-')}")


def _period(value: str, precision: str, *, end: bool) -> tuple[str, str]:
    """The days a stated date can mean: '2013-01-01' at year precision is all of 2013."""
    y, m, _ = (int(x) for x in value.split("-"))
    if precision == "year":
        return f"{y:04d}-01-01", f"{y:04d}-12-31"
    if precision == "month":
        last = calendar.monthrange(y, m)[1]
        return f"{y:04d}-{m:02d}-01", f"{y:04d}-{m:02d}-{last:02d}"
    return value, value


def _dates_agree(periods: list[tuple[str, str]]) -> bool:
    return max(p[0] for p in periods) <= min(p[1] for p in periods)


def find_conflicts(quads: list[Quad]) -> list[Conflict]:
    """Every (project, field) whose appearances state different values."""
    stated: dict[tuple[URIRef, URIRef], dict[URIRef, set[str]]] = defaultdict(lambda: defaultdict(set))
    precision: dict[tuple[URIRef, URIRef, URIRef], str] = {}  # (graph, project, date prop) -> precision
    timeframes: dict[tuple[URIRef, URIRef], URIRef] = {}
    tf_precision: dict[tuple[URIRef, URIRef], str] = {}
    for s, p, o, g in quads:  # a million quads: constants hoisted, one set lookup for most
        if p in _NAMES:
            stated[(s, p)][g].add(str(o))
        elif p == _TIME_FRAME:
            timeframes[(g, s)] = o  # type: ignore[assignment]
        elif p in _PRECISIONS:
            tf_precision[(s, p)] = str(o).rsplit("#", 1)[1].removesuffix("Precision").lower()
    for (g, project), tf in timeframes.items():
        for date_prop, prec_prop in (
            (ns.SCHEMA.startDate, SDGKG.startPrecision),
            (ns.SCHEMA.endDate, SDGKG.endPrecision),
        ):
            if (tf, prec_prop) in tf_precision:
                precision[(g, project, date_prop)] = tf_precision[(tf, prec_prop)]
    conflicts = []
    dates, end = {ns.SCHEMA.startDate, ns.SCHEMA.endDate}, ns.SCHEMA.endDate
    several = [(key, by_graph) for key, by_graph in stated.items() if len(by_graph) > 1]  # one source: no dispute
    for (s, p), by_graph in sorted(several):
        if p in dates:
            periods = [
                _period(v, precision.get((g, s, p), "day"), end=p == end)
                for g, values in by_graph.items()
                for v in values
            ]
            if _dates_agree(periods):
                continue
        elif len({frozenset(v) for v in by_graph.values()}) <= 1:
            continue
        conflicts.append(Conflict(s, _NAMES[p], {g: tuple(sorted(v)) for g, v in sorted(by_graph.items())}))
    return conflicts


def conflict_quads(conflicts: list[Conflict]) -> list[Quad]:
    """The conflicts as ``sdgkg:ValueConflict`` nodes in their own graph, for SPARQL and SHACL."""
    g = ns.graph_iri("conflicts")
    quads: list[Quad] = []
    for c in conflicts:
        node = c.iri()
        summary = "; ".join(
            f"{str(graph).rsplit('/', 2)[-2]}/{str(graph).rsplit('/', 1)[-1]}: "
            + ", ".join(v.rsplit("/", 1)[-1] if v.startswith("http") else v for v in values)
            for graph, values in c.stated.items()
        )
        quads += [
            (node, RDF.type, SDGKG.ValueConflict, g),
            (node, SDGKG.conflictOf, c.project, g),
            (node, SDGKG.conflictField, Literal(c.field), g),
            (node, SDGKG.valuesStated, Literal(summary), g),
            (node, RDFS.label, Literal(f"sources disagree on the {c.field}"), g),
        ]
        quads += [(node, SDGKG.statedIn, graph, g) for graph in c.stated]
    return quads
