"""A real `kg serve` process answering real SPARQL clients (httpx, SPARQLWrapper)."""

import httpx
from SPARQLWrapper import JSON, SPARQLWrapper

from tests.conftest import PREFIXES

QUERY = PREFIXES + """
SELECT ?code WHERE { ?p a sdgkg:Project ; sdgkg:codeAsWritten ?code } ORDER BY ?code LIMIT 3"""


def test_select_over_http_get(server):
    r = httpx.get(server + "/sparql", params={"query": QUERY}, timeout=10)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/sparql-results+json")
    codes = [b["code"]["value"] for b in r.json()["results"]["bindings"]]
    assert codes == ["1617B", "1819C", "1819G"]


def test_select_with_sparqlwrapper_post(server):
    client = SPARQLWrapper(server + "/sparql")
    client.setQuery(QUERY)
    client.setReturnFormat(JSON)
    client.setMethod("POST")
    client.setTimeout(10)
    result = client.query().convert()
    assert [b["code"]["value"] for b in result["results"]["bindings"]] == ["1617B", "1819C", "1819G"]


def test_csv_and_malformed_query(server):
    r = httpx.get(server + "/sparql", params={"query": QUERY}, headers={"Accept": "text/csv"}, timeout=10)
    assert r.status_code == 200 and r.text.splitlines()[:2] == ["code", "1617B"]
    bad = httpx.get(server + "/sparql", params={"query": "SELEC ?x"}, timeout=10)
    assert bad.status_code == 400 and "malformed query" in bad.json()["error"]


def test_construct_as_turtle(server):
    q = PREFIXES + "CONSTRUCT { project:1819g dct:title ?t } WHERE { project:1819g dct:title ?t }"
    r = httpx.post(server + "/sparql", content=q,
                   headers={"Content-Type": "application/sparql-query", "Accept": "text/turtle"}, timeout=10)
    assert r.status_code == 200 and "Institutional arrangements for policy integration" in r.text
