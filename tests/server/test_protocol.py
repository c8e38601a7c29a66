"""The SPARQL endpoint over real HTTP: methods x content types x query forms, negotiation,
every error path and every limit (each answers a status and a JSON body, never a hang)."""

import time

import httpx
import pytest
from SPARQLWrapper import CSV, JSON, TSV, XML, SPARQLWrapper

from tests.conftest import PREFIXES, kg_server

SELECT = PREFIXES + "SELECT ?code WHERE { ?p a sdgkg:Project ; sdgkg:codeAsWritten ?code } ORDER BY ?code LIMIT 2"
ASK = PREFIXES + "ASK { project:1617b a sdgkg:Project }"
CONSTRUCT = PREFIXES + "CONSTRUCT { project:1819g dct:title ?t } WHERE { project:1819g dct:title ?t }"
DESCRIBE = PREFIXES + "DESCRIBE project:1819g"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def get(url, query, **kw):
    return httpx.get(url + "/sparql", params={"query": query, **kw.pop("params", {})}, timeout=30, **kw)


@pytest.mark.parametrize("method", ["get", "form", "direct"])
@pytest.mark.parametrize(
    ("query", "accept", "expected_type", "check"),
    [
        (SELECT, "application/sparql-results+json", "application/sparql-results+json", '"1617B"'),
        (SELECT, "application/sparql-results+xml", "application/sparql-results+xml", "<literal>1617B</literal>"),
        (SELECT, "text/csv", "text/csv", "code\r\n1617B\r\n"),
        (SELECT, "text/tab-separated-values", "text/tab-separated-values", '?code\n"1617B"\n'),
        (ASK, "application/sparql-results+json", "application/sparql-results+json", '"boolean": true'),
        (ASK, "application/sparql-results+xml", "application/sparql-results+xml", "<boolean>true</boolean>"),
        (CONSTRUCT, "text/turtle", "text/turtle", "Institutional arrangements"),
        (CONSTRUCT, "application/n-triples", "application/n-triples", "<http://purl.org/dc/terms/title>"),
        (CONSTRUCT, "application/ld+json", "application/ld+json", '"@id"'),
        (CONSTRUCT, "application/rdf+xml", "application/rdf+xml", "rdf:RDF"),
        (DESCRIBE, "text/turtle", "text/turtle", "1819G"),
    ],
)
def test_methods_formats_and_forms(server, method, query, accept, expected_type, check):
    headers = {"Accept": accept}
    if method == "get":
        r = get(server, query, headers=headers)
    elif method == "form":
        r = httpx.post(server + "/sparql", data={"query": query}, headers=headers, timeout=30)
    else:
        r = httpx.post(server + "/sparql", content=query,
                       headers={**headers, "Content-Type": "application/sparql-query"}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == expected_type
    assert check in r.text.replace('"boolean":true', '"boolean": true')
    assert "Accept" in r.headers["vary"]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("text/*;q=0.8, */*;q=0.1", "text/csv"),
        ("*/*", "application/sparql-results+json"),
        ("", "application/sparql-results+json"),
        ("application/sparql-results+json;q=0, text/tab-separated-values", "text/tab-separated-values"),
    ],
)
def test_accept_q_values_lists_and_wildcards(server, accept, expected):
    r = get(server, SELECT, headers={"Accept": accept})
    assert r.status_code == 200 and r.headers["content-type"].split(";")[0] == expected


def test_format_parameter_overrides_accept(server):
    r = get(server, SELECT, params={"format": "csv"}, headers={"Accept": "application/sparql-results+json"})
    assert r.headers["content-type"].startswith("text/csv")


def test_sparqlwrapper_every_result_format(server):
    for fmt, check in [(JSON, lambda x: x["results"]["bindings"][0]["code"]["value"] == "1617B"),
                       (XML, lambda x: "1617B" in x.toxml()),
                       (CSV, lambda x: x.decode().splitlines()[1] == "1617B"),
                       (TSV, lambda x: x.decode().splitlines()[1] == '"1617B"')]:
        client = SPARQLWrapper(server + "/sparql")
        client.setQuery(SELECT)
        client.setReturnFormat(fmt)
        client.setTimeout(30)
        assert check(client.query().convert()), fmt


def test_not_acceptable(server):
    r = get(server, SELECT, headers={"Accept": "image/png"})
    assert r.status_code == 406 and "available" in r.json()["error"]
    r = get(server, CONSTRUCT, params={"format": "csv"})
    assert r.status_code == 406


def test_malformed_query_says_where(server):
    r = get(server, "SELECT ?x WHERE { ?x ?y }")
    assert r.status_code == 400
    body = r.json()
    assert body["status"] == 400 and "malformed query" in body["error"] and "1:" in body["error"]


def test_missing_and_duplicate_query(server):
    assert httpx.post(server + "/sparql", data={"nothing": "x"}, timeout=10).status_code == 200  # description
    r = httpx.get(server + "/sparql?query=ASK{}&query=ASK{}", timeout=10)
    assert r.status_code == 400 and "more than one 'query'" in r.json()["error"]


def test_wrong_content_type_and_method(server):
    r = httpx.post(server + "/sparql", content=SELECT, headers={"Content-Type": "text/plain"}, timeout=10)
    assert r.status_code == 415
    r = httpx.put(server + "/sparql", content=SELECT, timeout=10)
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST, HEAD"


def test_non_utf8_body(server):
    r = httpx.post(server + "/sparql", content="ASK { <urn:é> ?p ?o }".encode("latin-1"),
                   headers={"Content-Type": "application/sparql-query"}, timeout=10)
    assert r.status_code == 400 and "UTF-8" in r.json()["error"]


def test_service_description(server):
    r = httpx.get(server + "/sparql", headers={"Accept": "text/turtle"}, timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    assert "sd:Service" in r.text and "sd:UnionDefaultGraph" in r.text and "sd:SPARQL11Query" in r.text
    assert "SPARQL11Update" not in r.text  # read-only


def test_default_graph_is_the_deduplicated_union(server):
    r = get(server, PREFIXES + "SELECT (COUNT(*) AS ?n) WHERE { project:1617b a sdgkg:Project }")
    assert r.json()["results"]["bindings"][0]["n"]["value"] == "1"  # stated in three graphs, counted once


def test_protocol_dataset_parameters(server):
    g = "https://w3id.org/sdgkg/graph/source/dpidg-projects/1819g"
    r = get(server, PREFIXES + "SELECT ?t WHERE { ?p dct:title ?t }", params={"default-graph-uri": g})
    assert [b["t"]["value"] for b in r.json()["results"]["bindings"]] == [
        "Institutional arrangements for policy integration, coordination, and stakeholder engagement in "
        "SDG implementation and reviews in Asia and the Pacific"]
    r = get(server, "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", params={"named-graph-uri": g})
    assert [b["g"]["value"] for b in r.json()["results"]["bindings"]] == [g]


def test_graph_store_reads(server):
    g = "https://w3id.org/sdgkg/graph/source/dpidg-projects/1819g"
    r = httpx.get(server + "/store", params={"graph": g}, headers={"Accept": "application/n-triples"}, timeout=10)
    assert r.status_code == 200 and "Buthan" in r.text
    r = httpx.get(server + "/sparql", params={"graph": g}, headers={"Accept": "text/turtle"}, timeout=10)
    assert r.status_code == 200 and "Buthan" in r.text
    assert httpx.get(server + "/store", params={"graph": "urn:nothing"}, timeout=10).status_code == 404
    r = httpx.get(server + "/store?default", headers={"Accept": "application/n-triples"}, timeout=30)
    assert r.status_code == 200 and r.text.count("\n") > 10000


def test_updates_and_writes_are_refused_without_token(server):
    r = httpx.post(server + "/sparql", data={"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}, timeout=10)
    assert r.status_code == 403 and "read-only" in r.json()["error"]
    r = httpx.post(server + "/sparql", content="CLEAR ALL", headers={"Content-Type": "application/sparql-update"},
                   timeout=10)
    assert r.status_code == 403
    r = httpx.put(server + "/store?graph=urn:x", content="<urn:a> <urn:b> <urn:c> .",
                  headers={"Content-Type": "application/n-triples"}, timeout=10)
    assert r.status_code == 403
    assert get(server, "ASK { <urn:a> <urn:b> <urn:c> }").json()["boolean"] is False


def test_cors(server):
    r = httpx.get(server + "/sparql", params={"query": ASK}, headers={"Origin": "https://example.org"}, timeout=10)
    assert r.headers["access-control-allow-origin"] == "*"
    pre = httpx.options(server + "/sparql", headers={"Origin": "https://example.org",
                                                     "Access-Control-Request-Method": "POST"}, timeout=10)
    assert pre.status_code == 200 and "POST" in pre.headers["access-control-allow-methods"]


def test_service_to_refused_addresses(server):
    for target in ("http://127.0.0.1:9/sparql", "http://169.254.169.254/latest", "http://10.0.0.1/sparql"):
        r = get(server, f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}")
        assert r.status_code == 403 and "allow-list" in r.json()["error"], target
    r = get(server, "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }")
    assert r.status_code == 403 and "variable endpoint" in r.json()["error"]


def test_query_size_and_nesting_limits(server):
    deep = "SELECT * WHERE " + "{" * 3000 + "}" * 3000
    r = httpx.post(server + "/sparql", content=deep, headers={"Content-Type": "application/sparql-query"}, timeout=10)
    assert r.status_code == 400 and "nests 3000 levels" in r.json()["error"]
    r = httpx.post(server + "/sparql", content="ASK {} #" + "x" * 200_000,
                   headers={"Content-Type": "application/sparql-query"}, timeout=10)
    assert r.status_code == 413
    big = httpx.post(server + "/sparql", content=b"x" * 2_000_000,
                     headers={"Content-Type": "application/sparql-query"}, timeout=10)
    assert big.status_code == 413 and "limit" in big.json()["error"]
    assert get(server, ASK).status_code == 200  # the server is fine


def test_bad_timeout_parameter(server):
    assert get(server, ASK, params={"timeout": "soon"}).status_code == 400


@pytest.fixture(scope="module")
def limited(built):
    with kg_server(built.out, "--timeout", "2", "--max-timeout", "3", "--max-rows", "50", "--workers", "2") as url:
        yield url


def test_runaway_query_is_stopped_and_the_next_one_answers(limited):
    started = time.monotonic()
    r = get(limited, RUNAWAY)
    elapsed = time.monotonic() - started
    assert r.status_code == 504 and "timeout" in r.json()["error"]
    assert elapsed < 2 + 1, elapsed
    assert get(limited, ASK).json()["boolean"] is True
    # a client may lower the timeout, but not raise it past --max-timeout
    started = time.monotonic()
    assert get(limited, RUNAWAY, params={"timeout": "1"}).status_code == 504
    assert time.monotonic() - started < 1 + 1
    started = time.monotonic()
    assert get(limited, RUNAWAY, params={"timeout": "100"}).status_code == 504
    assert time.monotonic() - started < 3 + 1


def test_replaced_workers_keep_answering(limited):
    for _ in range(3):
        assert get(limited, RUNAWAY, params={"timeout": "0.5"}).status_code == 504
    deadline = time.monotonic() + 30
    while get(limited, ASK).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert get(limited, ASK).json()["boolean"] is True


def test_row_limit(limited):
    r = get(limited, "SELECT * WHERE { ?s ?p ?o } LIMIT 51")
    assert r.status_code == 413 and "more than 50 result rows" in r.json()["error"]
    assert get(limited, "SELECT * WHERE { ?s ?p ?o } LIMIT 50").status_code == 200


def test_concurrency_limit_answers_busy(built):
    import threading

    with kg_server(built.out, "--workers", "1", "--timeout", "4", env={"SDGKG_QUEUE_TIMEOUT": "1"}) as url:
        slow = threading.Thread(target=lambda: get(url, RUNAWAY))
        slow.start()
        time.sleep(0.5)
        started = time.monotonic()
        r = httpx.get(url + "/sparql", params={"query": ASK}, timeout=30)
        assert r.status_code == 503 and "busy" in r.json()["error"]
        assert time.monotonic() - started < 3
        slow.join()
        # once the runaway query is stopped and its worker replaced, queries answer again
        deadline = time.monotonic() + 30
        while get(url, ASK).status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert get(url, ASK).json()["boolean"] is True


def test_admin_token_enables_updates(built):
    with kg_server(built.out, env={"SDGKG_ADMIN_TOKEN": "s3cret"}) as url:
        update = {"update": "INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> <urn:c> } }"}
        assert httpx.post(url + "/sparql", data=update, timeout=10).status_code == 401
        assert httpx.post(url + "/sparql", data=update, headers={"Authorization": "Bearer nope"},
                          timeout=10).status_code == 403
        r = httpx.post(url + "/sparql", data=update, headers={"Authorization": "Bearer s3cret"}, timeout=30)
        assert r.status_code == 204
        # every worker sees it
        for _ in range(4):
            assert get(url, "ASK { GRAPH <urn:g> { <urn:a> <urn:b> <urn:c> } }").json()["boolean"] is True
        r = httpx.put(url + "/store?graph=urn:h", content="<urn:x> <urn:y> <urn:z> .",
                      headers={"Content-Type": "application/n-triples", "Authorization": "Bearer s3cret"},
                      timeout=30)
        assert r.status_code == 204
        assert "urn:x" in httpx.get(url + "/store?graph=urn:h", timeout=10).text
        assert "SPARQL11Update" in httpx.get(url + "/sparql", headers={"Accept": "text/turtle"}, timeout=10).text


def test_sparqlwrapper_defaults_for_construct_and_describe(server):
    """SPARQLWrapper's default return format is XML: format=xml must mean RDF/XML for graph results."""
    from rdflib import Graph

    for query in (CONSTRUCT, DESCRIBE):
        client = SPARQLWrapper(server + "/sparql")
        client.setQuery(query)
        result = client.queryAndConvert()
        assert isinstance(result, Graph) and len(result) > 0


def test_service_allow_adds_to_the_default_list(built):
    with kg_server(built.out, "--service-allow", "http://127.0.0.1:9/sparql") as url:
        sd = httpx.get(url + "/sparql", headers={"Accept": "text/turtle"}, timeout=30).text
        assert "https://query.wikidata.org/sparql" in sd and "http://127.0.0.1:9/sparql" in sd
