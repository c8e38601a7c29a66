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


def test_a_programs_query_and_a_browsers_cross_origin_query_get_the_same_answer(server):
    """/sparql from a program takes the short path around the middleware (kg/server/app.py);
    a browser's cross-origin call goes through it: same body, both gzipped, CORS only for the browser."""
    big = PREFIXES + "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 200"
    headers = {"Accept": "application/sparql-results+json", "Accept-Encoding": "gzip"}
    program = httpx.post(server + "/sparql", data={"query": big}, headers=headers, timeout=30)
    browser = httpx.post(server + "/sparql", data={"query": big}, timeout=30,
                         headers={**headers, "Origin": "https://example.org"})
    assert program.status_code == browser.status_code == 200
    assert program.json() == browser.json() and len(program.json()["results"]["bindings"]) == 200
    for r in (program, browser):
        assert r.headers["content-encoding"] == "gzip"
        assert {"accept", "accept-encoding"} <= {v.strip().lower() for v in r.headers["vary"].split(",")}
    assert "access-control-allow-origin" in browser.headers
    assert "access-control-allow-origin" not in program.headers
    small = httpx.get(server + "/sparql", params={"query": "ASK {}"}, headers=headers, timeout=10)
    assert small.json()["boolean"] is True and "content-encoding" not in small.headers  # under 1 KiB
