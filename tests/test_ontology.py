"""The ontology parses, is consistent under OWL 2 RL, labels and defines every term, and
declares every term the data uses (or the term comes from a reused vocabulary)."""

import owlrl
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from kg.graph.namespaces import SDGKG
from kg.ingest.reference import ONTOLOGY_DIR

REUSED = (
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://www.w3.org/2000/01/rdf-schema#",
    "http://www.w3.org/2002/07/owl#", "http://www.w3.org/2004/02/skos/core#",
    "http://purl.org/dc/terms/", "http://www.w3.org/ns/prov#", "http://www.w3.org/ns/org#",
    "https://schema.org/", "http://www.w3.org/ns/dcat#", "http://metadata.un.org/sdg/ontology#",
    "http://www.w3.org/2001/XMLSchema#", "http://purl.org/vocab/vann/",
    "http://www.w3.org/ns/shacl#", "http://xmlns.com/foaf/0.1/", "http://www.w3.org/ns/dqv#",
)
# Properties of the SDG KOS snapshot, used only in its own graph.
KOS_ONLY = ("http://purl.org/dc/elements/1.1/", "http://www.geonames.org/ontology#",
            "http://qudt.org/vocab/unit/", "http://purl.org/linked-data/sdmx/2009/dimension#")


@pytest.fixture(scope="module")
def ontology() -> Graph:
    g = Graph()
    g.parse(ONTOLOGY_DIR / "sdgkg.ttl")
    g.parse(ONTOLOGY_DIR / "sdgkg-align.ttl")
    return g


def test_ontology_metadata(ontology):
    o = URIRef("https://w3id.org/sdgkg/ontology")
    assert (o, RDF.type, OWL.Ontology) in ontology
    for p in (OWL.versionIRI, URIRef("http://purl.org/dc/terms/license"),
              URIRef("http://purl.org/dc/terms/description")):
        assert ontology.value(o, p) is not None, p


def test_every_term_has_label_and_definition(ontology):
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    terms = {s for k in kinds for s in ontology.subjects(RDF.type, k) if str(s).startswith(str(SDGKG))}
    assert len(terms) > 60
    missing = [t for t in terms if not ontology.value(t, RDFS.label) or not ontology.value(t, SKOS.definition)]
    assert missing == []


def test_owl_rl_closure_is_consistent(ontology, built):
    g = Graph()
    g += ontology
    data = Graph()
    data.parse(built.out / "union.ttl")
    # the instance data without the big SDG KOS: what the ontology's axioms act on
    for s, p, o in data:
        if not str(s).startswith("http://metadata.un.org/"):
            g.add((s, p, o))
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(g)
    assert list(g.subjects(RDF.type, OWL.Nothing)) == []
    inconsistencies = [o for o in g.objects(None, RDFS.comment) if "inconsisten" in str(o).lower()]
    assert inconsistencies == []
    # the closure really reasoned: sub-property and inverse axioms fired
    project = URIRef("https://w3id.org/sdgkg/project/1617b")
    dpidg = URIRef("https://w3id.org/sdgkg/organisation/dpidg")
    assert (project, SDGKG.involves, dpidg) in g
    assert (dpidg, SDGKG.involvedIn, project) in g


def test_every_term_used_in_data_is_declared(ontology, built):
    data = Graph()
    data.parse(built.out / "union.ttl")
    declared = set(ontology.subjects())
    used = set(data.predicates()) | set(data.objects(None, RDF.type))
    undeclared = sorted(
        str(t) for t in used
        if isinstance(t, URIRef) and t not in declared
        and not str(t).startswith(REUSED) and not str(t).startswith(KOS_ONLY)
    )
    assert undeclared == []
