"""Regressions from issue 12: graph IRIs had an empty RDF body; 'SELEC …' was reported as 'expected CONSTRUCT'."""

from __future__ import annotations

import httpx
import pyoxigraph as ox


def test_a_graph_iri_answers_with_the_graph_it_names(server):
    for graph in ("/graph/inferred", "/graph/suggested", "/graph/provenance"):
        r = httpx.get(server + graph, headers={"Accept": "application/n-triples"}, timeout=60)
        assert r.status_code == 200, graph
        triples = list(ox.parse(r.content, format=ox.RdfFormat.N_TRIPLES))
        assert len(triples) > 100, graph
    suggested = httpx.get(server + "/graph/suggested", headers={"Accept": "text/turtle"}).text
    assert "sdgkg:SdgSuggestion" in suggested or "ontology#SdgSuggestion" in suggested


def test_a_resource_that_is_not_a_graph_still_answers_with_its_description(server):
    r = httpx.get(server + "/project/1617b", headers={"Accept": "application/n-triples"})
    triples = list(ox.parse(r.content, format=ox.RdfFormat.N_TRIPLES))
    me = ox.NamedNode("https://w3id.org/sdgkg/project/1617b")
    # its statements and the statements pointing to it, nothing of a graph's contents
    assert all(me in (t.subject, t.object) for t in triples)
    assert any(t.subject == me for t in triples) and any(t.object == me for t in triples)


def test_a_misspelt_query_form_is_named(server):
    r = httpx.post(server + "/sparql", data={"query": "SELEC ?s WHERE { ?s ?p ?o }"})
    assert r.status_code == 400 and "not 'SELEC'" in r.json()["error"]
    prefixed = httpx.post(server + "/sparql", data={"query": "PREFIX a: <http://a/>\nSELCT * { ?s ?p ?o }"})
    assert "not 'SELCT'" in prefixed.json()["error"]
    other = httpx.post(server + "/sparql", data={"query": "SELECT ?s WHERE { ?s ?p }"})
    assert other.status_code == 400 and "a query starts with" not in other.json()["error"]
