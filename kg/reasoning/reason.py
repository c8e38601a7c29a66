"""Reasoning: OWL 2 RL plus SPARQL roll-up rules, into a graph of inferred triples.

Two engines sit behind one function, :func:`infer`: ``fast`` (:mod:`kg.reasoning.owl`, rules compiled from
the ontology, 40x faster on the seed) and ``owlrl``, the reference a test compares it against.
An ontology using OWL the fast engine does not implement falls back to owlrl. Only new,
instance-level triples are kept: axiomatic triples about the RDF/OWL vocabularies are noise to a
researcher. The roll-up rules run on pyoxigraph, over the data plus the kept OWL inferences.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import owlrl
import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF

from kg.errors import KgError
from kg.graph import namespaces as ns
from kg.graph.terms import NTriples, from_ox, to_ox
from kg.ingest.reference import ONTOLOGY_DIR
from kg.reasoning import owl

RULES_DIR = ONTOLOGY_DIR / "rules"
Triple = tuple[URIRef, URIRef, URIRef | Literal]
Text = tuple[str, str, str]  # a triple as N-Triples text
_NOISE = {OWL.sameAs, OWL.differentFrom}
_NOISE_TYPES = {OWL.Thing, OWL.NamedIndividual, ns.SCHEMA.Thing}


ENGINES = ("fast", "owlrl")


@dataclass
class Inference:
    """The inferred triples, how long it took and which OWL engine ran."""

    triples: set[Triple]
    seconds: float
    engine: str = "fast"
    note: str = ""
    text: set[Text] = field(default_factory=set)  # the same triples as N-Triples text


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


def apply_rules(triples: Iterable[Triple] | ox.Store, rules_dir: Path = RULES_DIR) -> set[Triple]:
    """Run every ``*.rq`` CONSTRUCT rule once over ``triples`` (or a store's union of graphs)."""
    if isinstance(triples, ox.Store):
        store = triples
    else:
        store = ox.Store()
        store.extend(
            ox.Quad(to_ox(s), to_ox(p), to_ox(o))  # type: ignore[arg-type]
            for s, p, o in triples
            if _is_rdf(s, p, o)  # a closure may hold generalised triples (literal subjects)
        )
    out: set[Triple] = set()
    for rule in sorted(rules_dir.glob("*.rq")):
        try:
            result = store.query(rule.read_text(encoding="utf-8"), use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise KgError(f"{rule}: invalid SPARQL rule: {exc}") from exc
        if not isinstance(result, ox.QueryTriples):
            raise KgError(f"{rule}: a rule must be a CONSTRUCT query")
        for t in result:
            out.add((from_ox(t.subject), from_ox(t.predicate), from_ox(t.object)))  # type: ignore[arg-type]
    return out


def owl_closure(
    triples: Iterable[Triple], engine: str = "fast", nt: NTriples | None = None, text: set[Text] | None = None
) -> tuple[set[Text], str, str]:
    """What the OWL 2 RL closure adds to ``triples`` (as :func:`_keep` filters it), and which engine ran.

    Triples come and go as N-Triples text (``text``, when the caller has it, saves converting
    ``triples``). The third value says why the fast engine was not used, when it was asked for.
    """
    if engine not in ENGINES:
        raise KgError(f"unknown reasoner {engine!r} (known: {', '.join(ENGINES)})")
    nt = nt or NTriples()
    note = ""
    if engine == "fast":
        if text is None:
            text = {(nt(s), nt(p), nt(o)) for s, p, o in triples}
        try:
            closure = owl.closure(text)
        except owl.Unsupported as exc:
            note = f"the fast reasoner does not implement this ontology ({exc}): using owlrl"
        else:
            return {t for t in closure - text if _keep_text(t)}, "fast", ""
    before = set(triples)
    graph = Graph()
    for t in before:
        graph.add(t)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
    new = (t for t in set(graph) - before if _keep(t))  # type: ignore[arg-type]
    return {(nt(s), nt(p), nt(o)) for s, p, o in new}, "owlrl", note


_BASE, _ONTOLOGY = f"<{ns.BASE}", f"<{ns.ONTOLOGY}"
_NOISE_TEXT = {f"<{p}>" for p in _NOISE}
_TYPE_TEXT = f"<{RDF.type}>"
_NOISE_TYPES_TEXT = {f"<{t}>" for t in _NOISE_TYPES}


def _keep_text(triple: tuple[str, str, str]) -> bool:
    """:func:`_keep` for N-Triples text."""
    s, p, o = triple
    if not s.startswith(_BASE) or s.startswith(_ONTOLOGY) or p in _NOISE_TEXT:
        return False
    return p != _TYPE_TEXT or (o not in _NOISE_TYPES_TEXT and not owl.is_literal(o))


def infer(
    asserted: Iterable[Triple],
    ontology: Iterable[Triple],
    vocabularies: Iterable[Triple],
    *,
    engine: str = "fast",
    store: ox.Store | None = None,
    nt: NTriples | None = None,
    text: set[Text] | None = None,
) -> Inference:
    """Triples entailed by the data and ontology (OWL 2 RL) and by the roll-up rules.

    ``vocabularies`` (e.g. the SDG KOS) are read by the rules but not fed to the OWL engine:
    they are large and the ontology's axioms do not act on them. With ``store`` (already
    holding the data, ontology and vocabularies), the OWL inferences are added to it, in the
    inferred graph, and the rules run there; with ``text`` (the data and ontology as N-Triples
    text, as the build has them) nothing is converted twice.
    """
    started = time.perf_counter()
    nt = nt or NTriples()
    triples = [*ontology, *asserted]
    if text is None:
        text = {(nt(s), nt(p), nt(o)) for s, p, o in triples}
    inferred, used, note = owl_closure(triples, engine, nt, text)
    graph = f"<{ns.graph_iri('inferred')}>"
    if store is None:
        store = ox.Store()
        store.extend(ox.Quad(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in [*triples, *vocabularies])  # type: ignore[arg-type]
    store.load("".join(f"{s} {p} {o} {graph} .\n" for s, p, o in inferred).encode(), format=ox.RdfFormat.N_QUADS)
    ruled = {(nt(s), nt(p), nt(o)) for s, p, o in apply_rules(store)} - text - inferred
    store.load("".join(f"{s} {p} {o} {graph} .\n" for s, p, o in ruled).encode(), format=ox.RdfFormat.N_QUADS)
    found = inferred | ruled
    terms = {(nt.term(s), nt.term(p), nt.term(o)) for s, p, o in found}
    return Inference(terms, time.perf_counter() - started, used, note, found)  # type: ignore[arg-type]
