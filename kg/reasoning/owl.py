"""A fast OWL 2 RL engine for the ontology's vocabulary: single-premise rules compiled from the TBox.

owlrl re-runs every OWL 2 RL rule over the whole graph until nothing changes: 5 s for the seed
KG, minutes at 10^5 triples. The ontology only uses subclass, subproperty, equivalence, domain,
range, inverse, symmetric, transitive and (inverse-)functional axioms. Once the TBox is closed,
all but the last three are rules with one instance-level premise, so a worklist visits each
triple once (near-linear); transitive properties and ``owl:sameAs`` (from functional
properties) are closed separately and fed back. An ontology that uses any other OWL construct
is refused (:class:`Unsupported`) and the caller falls back to owlrl, the reference engine that
a test compares this one against.

Terms are N-Triples text (``<iri>``, ``"lexical"^^<datatype>``): plain strings hash and compare
an order of magnitude faster than rdflib terms, and the build writes that text anyway.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from rdflib.namespace import OWL as _OWL
from rdflib.namespace import RDF as _RDF
from rdflib.namespace import RDFS as _RDFS

Term = str  # N-Triples text
Triple = tuple[Term, Term, Term]


class _Vocabulary:
    """A namespace whose terms are N-Triples text."""

    def __init__(self, base: str) -> None:
        self.base = base

    def __getattr__(self, name: str) -> str:
        return f"<{self.base}{name}>"


OWL, RDF, RDFS = _Vocabulary(str(_OWL)), _Vocabulary(str(_RDF)), _Vocabulary(str(_RDFS))
TYPE = RDF.type


def is_literal(term: Term) -> bool:
    """N-Triples literals start with a quote."""
    return term[0] == '"'


#: OWL vocabulary this engine does not implement: its presence sends the build to owlrl.
UNSUPPORTED = {
    OWL.someValuesFrom, OWL.allValuesFrom, OWL.hasValue, OWL.intersectionOf, OWL.unionOf,
    OWL.complementOf, OWL.oneOf, OWL.propertyChainAxiom, OWL.hasKey, OWL.maxCardinality,
    OWL.maxQualifiedCardinality, OWL.onProperty, OWL.disjointWith, OWL.propertyDisjointWith,
    OWL.AllDisjointClasses, OWL.AllDifferent, OWL.differentFrom, OWL.ReflexiveProperty,
    OWL.IrreflexiveProperty, OWL.AsymmetricProperty, OWL.NegativePropertyAssertion,
}  # fmt: skip


_KINDS = {OWL.TransitiveProperty, OWL.SymmetricProperty, OWL.FunctionalProperty, OWL.InverseFunctionalProperty}


class Unsupported(Exception):
    """The ontology uses an OWL construct this engine does not implement."""


def _closure(edges: dict[Term, set[Term]], node: Term) -> set[Term]:
    """Reflexive-transitive closure of ``node`` along ``edges``."""
    seen = {node}
    todo = [node]
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


class _TBox:
    """The schema axioms of a graph, closed, with per-predicate consequences memoised."""

    def __init__(self, triples: Iterable[Triple]) -> None:
        self.sub_class: dict[Term, set[Term]] = defaultdict(set)
        self.sub_prop: dict[Term, set[Term]] = defaultdict(set)
        self.domain: dict[Term, set[Term]] = defaultdict(set)
        self.range: dict[Term, set[Term]] = defaultdict(set)
        self.inverse: dict[Term, set[Term]] = defaultdict(set)
        self.kinds: dict[Term, set[Term]] = defaultdict(set)
        edges = {
            RDFS.subClassOf: [(self.sub_class, False)],
            OWL.equivalentClass: [(self.sub_class, False), (self.sub_class, True)],
            RDFS.subPropertyOf: [(self.sub_prop, False)],
            OWL.equivalentProperty: [(self.sub_prop, False), (self.sub_prop, True)],
            RDFS.domain: [(self.domain, False)],
            RDFS.range: [(self.range, False)],
            OWL.inverseOf: [(self.inverse, False), (self.inverse, True)],
        }
        for s, p, o in triples:
            if p == TYPE:
                if o in _KINDS:
                    self.kinds[o].add(s)
                elif o in UNSUPPORTED:
                    raise Unsupported(f"{s} is a {o}")
                continue
            targets = edges.get(p)
            if targets is None:
                if p in UNSUPPORTED:
                    raise Unsupported(f"{s} uses {p}")
                continue
            for table, backwards in targets:
                if backwards:
                    table[o].add(s)
                else:
                    table[s].add(o)
        self._supers: dict[Term, set[Term]] = {}
        self._props: dict[Term, tuple[set[Term], set[Term], set[Term], set[Term], set[Term]]] = {}

    def supers(self, cls: Term) -> set[Term]:
        """The class and all its superclasses (cax-sco, cax-eqc, scm-sco)."""
        found = self._supers.get(cls)
        if found is None:
            found = self._supers[cls] = _closure(self.sub_class, cls)
        return found

    def of_property(self, p: Term) -> tuple[set[Term], set[Term], set[Term], set[Term], set[Term]]:
        """For predicate ``p``: super-properties, their inverses, the symmetric ones, domain and range types."""
        found = self._props.get(p)
        if found is None:
            ups = _closure(self.sub_prop, p)
            inverses = {i for q in ups for i in self.inverse.get(q, ())}
            symmetric = ups & self.kinds[OWL.SymmetricProperty]
            dom = {c for q in ups for d in self.domain.get(q, ()) for c in self.supers(d)}
            rng = {c for q in ups for r in self.range.get(q, ()) for c in self.supers(r)}
            found = self._props[p] = (ups - {p}, inverses, symmetric, dom, rng)
        return found


def closure(triples: Iterable[Triple]) -> set[Triple]:
    """The OWL 2 RL closure of ``triples`` for the supported axioms (generalised triples included)."""
    graph = set(triples)
    tbox = _TBox(graph)
    todo = list(graph)
    while True:
        _saturate(graph, todo, tbox)
        todo = _transitive(graph, tbox) + _same_as(graph, tbox)
        if not todo:
            return graph


def _saturate(graph: set[Triple], todo: list[Triple], tbox: _TBox) -> None:
    """Apply the single-premise rules to every triple of ``todo`` and to what they derive."""
    add = graph.add
    while todo:
        s, p, o = todo.pop()
        derived: list[Triple] = []
        if p == TYPE:
            derived += [(s, TYPE, c) for c in tbox.supers(o)]
        ups, inverses, symmetric, dom, rng = tbox.of_property(p)
        derived += [(s, q, o) for q in ups]
        derived += [(o, q, s) for q in inverses | symmetric]
        derived += [(s, TYPE, c) for c in dom]
        if not is_literal(o):
            derived += [(o, TYPE, c) for c in rng]
        for t in derived:
            if t not in graph:
                add(t)
                todo.append(t)


def _transitive(graph: set[Triple], tbox: _TBox) -> list[Triple]:
    """prp-trp: the missing links of every transitive property."""
    new: list[Triple] = []
    for p in tbox.kinds[OWL.TransitiveProperty]:
        edges: dict[Term, set[Term]] = defaultdict(set)
        for s, q, o in graph:
            if q == p:
                edges[s].add(o)
        for s in list(edges):
            new += [(s, p, o) for o in _closure(edges, s) - {s} if (s, p, o) not in graph]
    graph.update(new)
    return new


def _same_as(graph: set[Triple], tbox: _TBox) -> list[Triple]:
    """prp-fp, prp-ifp, eq-sym, eq-trans, eq-rep-s/p/o: merge what functional properties identify."""
    functional, inverse_functional = tbox.kinds[OWL.FunctionalProperty], tbox.kinds[OWL.InverseFunctionalProperty]
    objects: dict[tuple[Term, Term], set[Term]] = defaultdict(set)  # (s, p) -> o of functional p
    subjects: dict[tuple[Term, Term], set[Term]] = defaultdict(set)  # (o, p) -> s of inverse-functional p
    links: list[tuple[Term, Term]] = []
    same_as = OWL.sameAs
    for s, p, o in graph:
        if p in functional:
            objects[(s, p)].add(o)
        if p in inverse_functional:
            subjects[(o, p)].add(s)
        if p == same_as:
            links.append((s, o))
    for group in [*objects.values(), *subjects.values()]:
        if len(group) > 1:
            first, *rest = sorted(group)
            links += [(first, other) for other in rest]
    if not links:
        return []
    parent: dict[Term, Term] = {}

    def find(x: Term) -> Term:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for a, b in links:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra
    classes: dict[Term, set[Term]] = defaultdict(set)
    for x in {x for pair in links for x in pair}:
        classes[find(x)].add(x)
    alias = {x: members for members in classes.values() for x in members}
    new: list[Triple] = [(a, OWL.sameAs, b) for members in classes.values() for a in members for b in members]
    for s, p, o in list(graph):
        if s in alias or p in alias or o in alias:
            new += [(s2, p2, o2) for s2 in alias.get(s, {s}) for p2 in alias.get(p, {p}) for o2 in alias.get(o, {o})]
    new = [t for t in dict.fromkeys(new) if t not in graph]
    graph.update(new)
    return new
