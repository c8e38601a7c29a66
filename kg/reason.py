"""Reasoning: OWL 2 RL (owlrl) plus SPARQL roll-up rules, into a graph of inferred triples.

The engine sits behind one function, :func:`infer`, so it can be swapped (e.g. for the
faster ``reasonable`` package) without touching the pipeline. Only new, instance-level triples
are kept: owlrl's axiomatic triples about the RDF/OWL vocabularies are noise to a researcher.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import owlrl
import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF

from kg import namespaces as ns
from kg.errors import KgError
from kg.reference import ONTOLOGY_DIR
from kg.terms import from_ox, to_ox

RULES_DIR = ONTOLOGY_DIR / "rules"
Triple = tuple[URIRef, URIRef, URIRef | Literal]
_NOISE = {OWL.sameAs, OWL.differentFrom}
_NOISE_TYPES = {OWL.Thing, OWL.NamedIndividual, ns.SCHEMA.Thing}


@dataclass
class Inference:
    """The inferred triples and how long it took."""

    triples: set[Triple]
    seconds: float


def _is_rdf(s: object, p: object, o: object) -> bool:
    return isinstance(s, URIRef) and isinstance(p, URIRef) and isinstance(o, URIRef | Literal)


def _keep(triple: Triple) -> bool:
    s, p, o = triple
    if not _is_rdf(s, p, o):
        return False
    if not str(s).startswith(ns.BASE) or str(s).startswith(str(ns.ONTOLOGY)):
        return False
    if p in _NOISE or (p == RDF.type and o in _NOISE_TYPES):
        return False
    return not isinstance(o, Literal) or p != RDF.type


def apply_rules(triples: Iterable[Triple], rules_dir: Path = RULES_DIR) -> set[Triple]:
    """Run every ``*.rq`` CONSTRUCT rule once over ``triples``; return what they construct."""
    store = ox.Store()
    store.extend(
        ox.Quad(to_ox(s), to_ox(p), to_ox(o))  # type: ignore[arg-type]
        for s, p, o in triples
        if _is_rdf(s, p, o)  # owlrl's closure also holds generalised triples (literal subjects)
    )
    out: set[Triple] = set()
    for rule in sorted(rules_dir.glob("*.rq")):
        try:
            result = store.query(rule.read_text(encoding="utf-8"))
        except SyntaxError as exc:
            raise KgError(f"{rule}: invalid SPARQL rule: {exc}") from exc
        if not isinstance(result, ox.QueryTriples):
            raise KgError(f"{rule}: a rule must be a CONSTRUCT query")
        for t in result:
            out.add((from_ox(t.subject), from_ox(t.predicate), from_ox(t.object)))  # type: ignore[arg-type]
    return out


def infer(asserted: Iterable[Triple], ontology: Iterable[Triple], vocabularies: Iterable[Triple]) -> Inference:
    """Triples entailed by the data and ontology (OWL 2 RL) and by the roll-up rules.

    ``vocabularies`` (e.g. the SDG KOS) are read by the rules but not fed to owlrl: they are
    large and the ontology's axioms do not act on them.
    """
    started = time.perf_counter()
    graph = Graph()
    for t in ontology:
        graph.add(t)
    for t in asserted:
        graph.add(t)
    before = set(graph)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
    inferred = {t for t in set(graph) - before if _keep(t)}  # type: ignore[arg-type]
    ruled = apply_rules([*graph, *vocabularies])  # type: ignore[list-item]
    inferred |= {t for t in ruled if t not in before}
    return Inference(inferred, time.perf_counter() - started)
