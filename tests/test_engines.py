"""The fast engines give what the reference engines give: the same inferred triples as owlrl
and the same validation results as pySHACL, on the seed KG, on a generated IATI file with the
IATI fixtures that break rules, and on every shape fixture. Unsupported OWL or SHACL falls back
to the reference engine and says so."""

import re
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from kg.build import SDG_GRAPH, load_sources, provenance_quads, reference_quads, to_rows
from kg.graph.mapping import map_appearances
from kg.graph.mapping_iati import map_activities
from kg.graph.terms import NTriples
from kg.ingest.records import Appearance, IatiActivity
from kg.ingest.reference import bundled_reference
from kg.ingest.sources import read_manifest, user_sources
from kg.quality.conflicts import conflict_quads, find_conflicts
from kg.quality.validate import load_shapes, validate
from kg.reasoning.owl import closure
from kg.reasoning.reason import infer
from tests.conftest import DATA

IATI = DATA / "iati"
EX = "https://w3id.org/sdgkg/project/"


def assemble(extra: list[Path]) -> tuple[list, list]:
    """(triples fed to the reasoner, every quad before reasoning), as the build makes them."""
    ref = bundled_reference()
    sources = read_manifest() + user_sources(extra)
    apps = load_sources(sources)
    mapped = map_appearances([a for a in apps if isinstance(a, Appearance)], ref)
    map_activities([a for a in apps if isinstance(a, IatiActivity)], ref, mapped)
    reference = reference_quads(ref)
    asserted = mapped.quads + provenance_quads(sources) + conflict_quads(find_conflicts(mapped.quads, ref.organisations))
    triples = [(s, p, o) for s, p, o, g in asserted + reference if g != SDG_GRAPH]
    return triples, asserted + reference


def store_of(quads: list) -> ox.Store:
    store = ox.Store()
    body = "".join(f"{s} {p} {o} {g} .\n" for g, s, p, o in to_rows(quads, NTriples())).encode()
    store.load(body, format=ox.RdfFormat.N_QUADS)
    return store


def results(validation) -> Counter:
    """Results comparable across engines: pyoxigraph writes numbers canonically (5, not 5.0)."""

    def value(v):
        return (v.datatype, v.toPython()) if isinstance(v, Literal) and v.datatype else v

    def message(m):
        return re.sub(r"(\d)\.0\b", r"\1", m)

    return Counter(
        (r.focus, r.shape, r.severity, r.component, r.path, value(r.value), tuple(map(message, r.messages)))
        for r in validation.results
    )


CORPORA = {
    "seed": [],
    "iati": [IATI / "generated-12.xml", IATI / "sdg-forms.xml", IATI / "merge.xml", IATI / "schema-error.xml"],
}


@pytest.fixture(scope="module", params=sorted(CORPORA))
def corpus(request):
    triples, quads = assemble(CORPORA[request.param])
    return request.param, triples, quads


def test_fast_reasoner_infers_what_owlrl_infers(corpus):
    _name, triples, quads = corpus
    sdg = [(s, p, o) for s, p, o, g in quads if g == SDG_GRAPH]
    reference = infer(triples, [], sdg, engine="owlrl")
    fast = infer(triples, [], sdg, engine="fast")
    assert fast.engine == "fast" and reference.engine == "owlrl"
    assert len(fast.triples) > 1000
    assert fast.triples == reference.triples


def test_fast_validator_finds_what_pyshacl_finds(corpus):
    name, triples, quads = corpus
    store = store_of(quads)
    inferred = infer(triples, [], [], store=store)
    assert inferred.triples
    shapes = load_shapes()
    fast = validate(store, shapes, engine="fast")
    reference = validate(store, shapes, engine="pyshacl")
    assert fast.engine == "fast" and reference.engine == "pyshacl"
    assert results(fast) == results(reference)
    assert len(fast.results) >= (50 if name == "seed" else 5)
    assert [(f.shape_iri, f.focus, f.severity) for f in fast.findings] == [
        (f.shape_iri, f.focus, f.severity) for f in reference.findings
    ]


@pytest.mark.parametrize("fixture", sorted(p.name for p in (DATA / "shapes").glob("*.ttl")))
def test_engines_agree_on_every_shape_fixture(fixture):
    g = Graph()
    g.parse(DATA / "shapes" / "base.ttl")
    g.parse(DATA / "shapes" / fixture)
    shapes = load_shapes()
    fast, reference = validate(g, shapes, engine="fast"), validate(g, shapes, engine="pyshacl")
    assert fast.engine == "fast"
    assert results(fast) == results(reference)
    if ".fires." in fixture:
        assert fast.results


def test_closure_merges_what_functional_properties_identify():
    """prp-fp, eq-rep, prp-trp, prp-inv on a small graph: the fast closure equals owlrl's."""
    x = "https://w3id.org/sdgkg/x/"
    t = [
        (URIRef(x + "agent"), RDF.type, OWL.FunctionalProperty),
        (URIRef(x + "part"), RDF.type, OWL.TransitiveProperty),
        (URIRef(x + "has"), OWL.inverseOf, URIRef(x + "of")),
        (URIRef(x + "of"), RDFS.range, URIRef(x + "Thing")),
        (URIRef(x + "r"), URIRef(x + "agent"), URIRef(x + "a")),
        (URIRef(x + "r"), URIRef(x + "agent"), URIRef(x + "b")),
        (URIRef(x + "b"), RDFS.label, Literal("B")),
        (URIRef(x + "c1"), URIRef(x + "part"), URIRef(x + "c2")),
        (URIRef(x + "c2"), URIRef(x + "part"), URIRef(x + "c3")),
        (URIRef(x + "p"), URIRef(x + "has"), URIRef(x + "q")),
    ]
    fast, reference = infer(t, [], [], engine="fast"), infer(t, [], [], engine="owlrl")
    assert fast.triples == reference.triples
    assert (URIRef(x + "a"), RDFS.label, Literal("B")) in fast.triples  # merged by sh:sameAs
    assert (URIRef(x + "c1"), URIRef(x + "part"), URIRef(x + "c3")) in fast.triples
    assert (URIRef(x + "p"), RDF.type, URIRef(x + "Thing")) in fast.triples  # via the inverse's range


def test_unsupported_owl_falls_back_to_owlrl():
    x = "https://w3id.org/sdgkg/x/"
    t = [
        (URIRef(x + "R"), OWL.someValuesFrom, URIRef(x + "C")),
        (URIRef(x + "s"), RDF.type, URIRef(x + "C")),
    ]
    got = infer(t, [], [], engine="fast")
    assert got.engine == "owlrl" and "someValuesFrom" in got.note
    try:
        closure({("<a>", f"<{OWL.hasValue}>", "<b>")})
    except Exception as exc:  # noqa: BLE001 - the type is the point
        assert type(exc).__name__ == "Unsupported"
    else:
        raise AssertionError("owl:hasValue was accepted")


def test_unsupported_shacl_falls_back_to_pyshacl():
    shapes = Graph().parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:x:S> a sh:NodeShape ; sh:targetNode <urn:x:n> ; sh:node <urn:x:T> .
        <urn:x:T> a sh:NodeShape ; sh:property [ sh:path <urn:x:p> ; sh:minCount 1 ] .
        """,
        format="turtle",
    )
    data = Graph().parse(data="<urn:x:n> <urn:x:q> 1 .", format="turtle")
    got = validate(data, shapes, engine="fast")
    assert got.engine == "pyshacl" and "shacl#node" in got.note
    assert {f.focus for f in got.findings} == {"urn:x:n"}
