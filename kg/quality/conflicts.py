"""Where the sources disagree: per project and field, the values each appearance states.

Dates are compared at the precision each source gives: '2013' and 'September 2013' agree,
'July 2016' and 'January 2017' do not. Multi-valued fields (focus countries and groups, partners)
are compared as sets per appearance; focus countries and focus groups are one field, because a
source that says "LDCs" and one that lists Bangladesh and Ethiopia describe the same focus.
Organisations that differ only by hierarchy or renaming (MOPAS within the Government of Korea,
DPADM renamed DPIDG) are a refinement, not a conflict (issue 13).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS

from kg.graph import namespaces as ns
from kg.graph.mapping import Quad
from kg.graph.namespaces import SDGKG

COMPARED = {  # property -> field name; properties sharing a name are compared together
    DCTERMS.title: "title",
    ns.SCHEMA.startDate: "start",
    ns.SCHEMA.endDate: "end",
    SDGKG.focusCountry: "focus",
    SDGKG.focusGroup: "focus",
    SDGKG.leadDivision: "lead division",
    SDGKG.fundingSource: "funding source",
    SDGKG.partner: "partners",
    SDGKG.budget: "budget",
}
FIELD_PROPERTIES: dict[str, tuple[URIRef, ...]] = {}
for _prop, _name in COMPARED.items():
    FIELD_PROPERTIES[_name] = (*FIELD_PROPERTIES.get(_name, ()), _prop)
_NAMES = COMPARED
_DATES = {"start": ns.SCHEMA.startDate, "end": ns.SCHEMA.endDate}
_ORGANISATION_FIELDS = {"lead division", "funding source", "partners"}
_TIME_FRAME = SDGKG.timeFrame
_PRECISIONS = {SDGKG.startPrecision, SDGKG.endPrecision}


@dataclass(frozen=True)
class Conflict:
    """One field of one project on which appearances disagree (or, as a refinement, differ in detail)."""

    project: URIRef
    field: str
    stated: dict[URIRef, tuple[str, ...]]  # appearance graph -> values
    refinement: str = ""  # "part of" / "renamed" / "part of, renamed" when the values only refine each other

    def iri(self) -> URIRef:
        """Stable IRI of this conflict or refinement."""
        kind = "refinement" if self.refinement else "conflict"
        return URIRef(f"{self.project}/{kind}/{self.field.replace(' ', '-')}")


class Organisations:
    """Which organisations are the same body at another level or under another name.

    Read from the organisation register's ``parent`` and ``successor`` columns, so a new
    hierarchy is a data change.
    """

    def __init__(self, rows: dict[str, dict[str, str]] | None = None) -> None:
        self.parent = {i: r["parent"] for i, r in (rows or {}).items() if r.get("parent")}
        self.successor = {i: r["successor"] for i, r in (rows or {}).items() if r.get("successor")}

    def _ancestors(self, oid: str) -> set[str]:
        seen: set[str] = set()
        while oid in self.parent and oid not in seen:
            seen.add(oid)
            oid = self.parent[oid]
        return seen | {oid}

    def _names(self, oid: str) -> set[str]:
        """The organisation and what it was renamed to (and from), transitively."""
        names, todo = {oid}, [oid]
        while todo:
            o = todo.pop()
            for a, b in self.successor.items():
                for x, y in ((a, b), (b, a)):
                    if x == o and y not in names:
                        names.add(y)
                        todo.append(y)
        return names

    def relation(self, a: str, b: str) -> str:
        """How ``a`` and ``b`` relate: "" (same), "part of", "renamed", "part of, renamed", or "no"."""
        if a == b:
            return ""
        if b in self._ancestors(a) or a in self._ancestors(b):
            return "part of"
        if b in self._names(a):
            return "renamed"
        if any(y in self._ancestors(x) or x in self._ancestors(y) for x in self._names(a) for y in self._names(b)):
            return "part of, renamed"
        return "no"


def _refinement(by_graph: dict[URIRef, set[str]], orgs: Organisations) -> str:
    """The kind of refinement if each organisation stated anywhere refines one stated in every other appearance."""
    values = [{v.rsplit("/", 1)[-1] for v in vs} for vs in by_graph.values()]
    kinds: set[str] = set()
    for i, left in enumerate(values):
        for right in values[i + 1 :]:
            for xs, ys in ((left, right), (right, left)):
                for a in xs:
                    found = {orgs.relation(a, b) for b in ys} - {"no"}
                    if not found:
                        return ""  # a real disagreement
                    if "" not in found:
                        kinds.add(min(found, key=len))
    return ", ".join(sorted(kinds))


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


def find_conflicts(quads: list[Quad], organisations: dict[str, dict[str, str]] | None = None) -> list[Conflict]:
    """Every (project, field) whose appearances state different values; organisation refinements apart."""
    orgs = Organisations(organisations)
    stated: dict[tuple[URIRef, str], dict[URIRef, set[str]]] = defaultdict(lambda: defaultdict(set))
    precision: dict[tuple[URIRef, URIRef, URIRef], str] = {}  # (graph, project, date prop) -> precision
    timeframes: dict[tuple[URIRef, URIRef], URIRef] = {}
    tf_precision: dict[tuple[URIRef, URIRef], str] = {}
    for s, p, o, g in quads:  # a million quads: constants hoisted, one set lookup for most
        if p in _NAMES:
            stated[(s, _NAMES[p])][g].add(str(o))
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
    several = [(key, by_graph) for key, by_graph in stated.items() if len(by_graph) > 1]  # one source: no dispute
    for (s, name), by_graph in sorted(several):
        refinement = ""
        if name in _DATES:
            p = _DATES[name]
            periods = [
                _period(v, precision.get((g, s, p), "day"), end=name == "end")
                for g, values in by_graph.items()
                for v in values
            ]
            if _dates_agree(periods):
                continue
        elif len({frozenset(v) for v in by_graph.values()}) <= 1:
            continue
        elif name in _ORGANISATION_FIELDS:
            refinement = _refinement(by_graph, orgs)
        conflicts.append(Conflict(s, name, {g: tuple(sorted(v)) for g, v in sorted(by_graph.items())}, refinement))
    return conflicts


def conflict_quads(conflicts: list[Conflict]) -> list[Quad]:
    """Conflicts as ``sdgkg:ValueConflict`` (refinements as ``sdgkg:ValueRefinement``) nodes in their own graph.

    The field is named (``conflictField``) and given as the properties compared (``conflictProperty``),
    so a query need not match free strings.
    """
    g = ns.graph_iri("conflicts")
    quads: list[Quad] = []
    for c in conflicts:
        node = c.iri()
        summary = "; ".join(
            f"{str(graph).rsplit('/', 2)[-2]}/{str(graph).rsplit('/', 1)[-1]}: "
            + ", ".join(v.rsplit("/", 1)[-1] if v.startswith("http") else v for v in values)
            for graph, values in c.stated.items()
        )
        if c.refinement:
            quads += [
                (node, RDF.type, SDGKG.ValueRefinement, g),
                (node, SDGKG.refinementKind, Literal(c.refinement), g),
                (node, RDFS.label, Literal(f"sources name the {c.field} at different levels ({c.refinement})"), g),
            ]
        else:
            quads += [
                (node, RDF.type, SDGKG.ValueConflict, g),
                (node, RDFS.label, Literal(f"sources disagree on the {c.field}"), g),
            ]
        quads += [
            (node, SDGKG.conflictOf, c.project, g),
            (node, SDGKG.conflictField, Literal(c.field), g),
            (node, SDGKG.valuesStated, Literal(summary), g),
        ]
        quads += [(node, SDGKG.conflictProperty, prop, g) for prop in FIELD_PROPERTIES[c.field]]
        quads += [(node, SDGKG.statedIn, graph, g) for graph in c.stated]
    return quads
