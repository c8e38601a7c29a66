"""Regression tests for the holes found by probing the public endpoint as an attacker would.

Each test is named after the problem it keeps closed; all run against a real `kg serve` on
loopback, with loopback "victim" servers counting the requests an SSRF would have made.
"""

import subprocess
import sys
import threading
import time

import httpx
import pytest

from kg.server.guard import allowed
from tests.conftest import ROOT, Victim, kg_server

ASK = "ASK { ?s ?p ?o }"


def get(url, query, **params):
    return httpx.get(url + "/sparql", params={"query": query, **params}, timeout=60)


def post(url, query):
    return httpx.post(url + "/sparql", data={"query": query}, timeout=60)


@pytest.fixture(scope="module")
def allowed_peer():
    v = Victim()
    yield v
    v.close()


@pytest.fixture(scope="module")
def fed(built, allowed_peer):
    """A server whose SERVICE allow-list holds one loopback peer."""
    with kg_server(built.out, "--service-allow", allowed_peer.url, env={"SDGKG_ADMIN_TOKEN": "s3cret"}) as url:
        yield url


AUTH = {"Authorization": "Bearer s3cret"}


# 1 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["nan", "NaN", "inf", "-inf", "1e999", "1e-9", "0", "-1", "soon"])
def test_nan_or_tiny_timeout_is_400_and_does_not_take_the_service_down(fed, raw):
    workers = sorted(fed.workers())
    for _ in range(2):
        r = get(fed, ASK, timeout=raw)
        assert r.status_code == 400 and "timeout" in r.json()["error"], r.text
    started = time.monotonic()
    assert get(fed, ASK).json()["boolean"] is True
    assert time.monotonic() - started < 5
    assert sorted(fed.workers()) == workers  # no worker was lost or replaced


# 2 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        'VERSION "1.2" SELECT * WHERE { SERVICE <TARGET> { ?s ?p ?o } }',
        "SELECT * WHERE { SERVICE <TARGET> { ?s ?p ?o } BIND(<<( <a:s> <a:p> <a:o> )>> AS ?t) }",
        'SELECT * WHERE { SERVICE <TARGET> { ?s ?p ?o } BIND("x"@en--ltr AS ?l) }',
        "SELECT * WHERE { VALUES ?x { 1 2 3 } LATERAL { SERVICE <TARGET> { ?s ?p ?o } } }",
        "PREFIX ex: <urn:x:> SELECT * WHERE { ?s ex:a\\# ?o . SERVICE <TARGET> { ?s ?p ?o } }",
    ],
    ids=["version", "triple-term", "directional-language", "lateral", "escaped-hash"],
)
def test_service_allow_list_cannot_be_bypassed_with_syntax_rdflib_cannot_read(fed, victim, query):
    r = get(fed, query.replace("TARGET", victim.url))
    assert 400 <= r.status_code < 500, r.text[:300]
    assert victim.hits == 0


def test_service_allow_list_entries_match_origin_and_path_not_prefix(fed, allowed_peer, victim):
    assert not allowed("http://127.0.0.1:27198/sparql", ("http://127.0.0.1:2719",))
    assert not allowed("http://127.0.0.1:2719/sparqlx", ("http://127.0.0.1:2719/sparql",))
    assert not allowed("http://evil@127.0.0.1:2719/sparql", ("http://127.0.0.1:2719/sparql",))
    assert not allowed("https://127.0.0.1:2719/sparql", ("http://127.0.0.1:2719/sparql",))
    assert allowed("https://query.wikidata.org/sparql?x=1", ("https://query.wikidata.org/sparql",))
    assert allowed("http://127.0.0.1:2719/ds/sparql", ("http://127.0.0.1:2719/ds/",))
    # over HTTP: the allowed peer's port with another path, and another port, are refused
    other_path = allowed_peer.url.replace("/sparql", "/sparql-other")
    before = allowed_peer.hits
    r = get(fed, f"SELECT * WHERE {{ SERVICE <{other_path}> {{ ?s ?p ?o }} }}")
    assert r.status_code == 403 and allowed_peer.hits == before
    r = get(fed, f"SELECT * WHERE {{ SERVICE <{victim.url}> {{ ?s ?p ?o }} }}")
    assert r.status_code == 403 and victim.hits == 0


def test_service_outbound_calls_are_capped_per_query(fed, allowed_peer):
    peer = allowed_peer.url
    values = "VALUES ?x { " + " ".join(str(i) for i in range(1000)) + " }"
    before = allowed_peer.hits
    # evaluated once per row by the engine: refused
    r = get(fed, f"SELECT * WHERE {{ {values} FILTER EXISTS {{ SERVICE <{peer}> {{ ?s ?p ?o }} }} }}")
    assert r.status_code == 403 and "per row" in r.json()["error"]
    r = get(fed, f"SELECT ?x (EXISTS {{ SERVICE <{peer}> {{ ?s ?p ?o }} }} AS ?e) WHERE {{ {values} }}")
    assert r.status_code == 403
    many = " ".join(f"{{ SERVICE <{peer}> {{ ?s{i} ?p ?o }} }}" for i in range(4))
    r = get(fed, f"SELECT * WHERE {{ {many} }}")
    assert r.status_code == 403 and "at most 3" in r.json()["error"]
    assert allowed_peer.hits == before
    # a legitimate federated join over 1000 rows makes exactly one outbound call
    r = get(fed, f"SELECT * WHERE {{ {values} SERVICE <{peer}> {{ ?s ?p ?o }} }} LIMIT 5")
    assert r.status_code == 200, r.text[:300]
    assert allowed_peer.hits == before + 1


# 3 -------------------------------------------------------------------------------------------


def test_long_service_query_does_not_freeze_the_server(fed, allowed_peer):
    filters = " ".join(f'FILTER(?o != "value number {i}")' for i in range(500))
    long_query = f"SELECT * WHERE {{ SERVICE <{allowed_peer.url}> {{ ?s ?p ?o }} {filters} }}"
    assert 15_000 < len(long_query) < 20_000
    slow = threading.Thread(target=lambda: [post(fed, long_query) for _ in range(3)])
    slow.start()
    time.sleep(0.3)
    latencies = []
    for _ in range(5):
        started = time.monotonic()
        assert get(fed, ASK).status_code == 200
        latencies.append(time.monotonic() - started)
    slow.join()
    assert max(latencies) < 2.0, latencies
    # past the SERVICE size limit: refused before any parse
    started = time.monotonic()
    r = post(fed, long_query + " " * 80_000)  # 99 KB: froze the whole server for 19 s
    assert r.status_code == 413 and time.monotonic() - started < 2


# 4 -------------------------------------------------------------------------------------------

INJECTIONS = [
    "https://w3id.org/sdgkg/graph/provenance> { } OPTIONAL { SERVICE <VICTIM> { ?s ?p ?o } } } #",
    "https://w3id.org/sdgkg/graph/provenance> { ?s ?p ?o } } ; DROP ALL #",
    "urn:x>{}}}}}}}}}}",
]


@pytest.mark.parametrize("graph", INJECTIONS)
@pytest.mark.parametrize("path", ["/store", "/sparql"])
def test_graph_parameter_cannot_inject_sparql(fed, victim, graph, path):
    r = httpx.get(fed + path, params={"graph": graph.replace("VICTIM", victim.url)}, timeout=30)
    assert r.status_code == 400 and "absolute IRI" in r.json()["error"]
    assert victim.hits == 0
    assert httpx.get(fed + "/store", params={"graph": "https://w3id.org/sdgkg/graph/provenance"},
                     timeout=30).status_code == 200


# 6 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [("default-graph-uri", "not an iri"), ("named-graph-uri", "a b>c"), ("default-graph-uri", "urn:x>")],
)
def test_bad_dataset_parameters_are_400_and_crash_no_worker(fed, name, value):
    workers = sorted(fed.workers())
    r = get(fed, ASK, **{name: value})
    assert r.status_code == 400 and name in r.json()["error"]
    assert get(fed, ASK).status_code == 200
    assert sorted(fed.workers()) == workers


def test_bad_using_graph_uri_of_an_update_is_400(fed):
    r = httpx.post(fed + "/sparql?using-graph-uri=x%20y",
                   data={"update": "INSERT { GRAPH <urn:g> { ?s ?p ?o } } WHERE { ?s ?p ?o }"}, headers=AUTH, timeout=30)
    assert r.status_code == 400 and "using-graph-uri" in r.json()["error"]


def test_non_ascii_bearer_token_is_403_not_500(fed):
    r = httpx.post(fed + "/sparql", data={"update": "INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> <urn:c> } }"},
                   headers={"Authorization": "Bearer sécret€".encode()}, timeout=30)
    assert r.status_code == 403


def test_delete_of_a_missing_graph_is_404_and_crashes_no_worker(fed):
    workers = sorted(fed.workers())
    started = time.monotonic()
    r = httpx.delete(fed + "/store", params={"graph": "urn:missing"}, headers=AUTH, timeout=30)
    assert r.status_code == 404 and "urn:missing" in r.json()["error"]
    assert time.monotonic() - started < 5
    r = httpx.post(fed + "/sparql", data={"update": "DROP GRAPH <urn:missing>"}, headers=AUTH, timeout=30)
    assert r.status_code == 400 and "does not exist" in r.json()["error"]
    assert get(fed, ASK).status_code == 200
    assert sorted(fed.workers()) == workers


# 8 -------------------------------------------------------------------------------------------

LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="urn:x"><rdf:value>&d;&d;&d;&d;&d;&d;&d;&d;</rdf:value></rdf:Description></rdf:RDF>
"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="urn:x"><rdf:value>&e;</rdf:value></rdf:Description></rdf:RDF>
"""


def jsonld_with_context(context: str) -> str:
    return '{"@context": "' + context + '", "@id": "urn:x", "name": "a"}'


@pytest.mark.parametrize("body", [LAUGHS, EXTERNAL], ids=["entity-expansion", "external-entity"])
def test_hostile_rdf_xml_upload_is_refused(fed, body):
    started = time.monotonic()
    r = httpx.put(fed + "/store", params={"graph": "urn:hostile"}, content=body,
                  headers={**AUTH, "Content-Type": "application/rdf+xml"}, timeout=30)
    assert r.status_code == 400 and "DOCTYPE" in r.json()["error"]
    assert time.monotonic() - started < 5
    assert get(fed, "ASK { GRAPH <urn:hostile> { ?s ?p ?o } }").json()["boolean"] is False


def test_jsonld_upload_loads_no_remote_or_file_context(fed, victim):
    for context in [victim.url + "/context.jsonld", "file:///etc/passwd"]:
        r = httpx.put(fed + "/store", params={"graph": "urn:ctx"}, content=jsonld_with_context(context),
                      headers={**AUTH, "Content-Type": "application/ld+json"}, timeout=30)
        assert r.status_code == 400 and "context" in r.json()["error"].lower()
    assert victim.hits == 0


def kg_validate(path):
    return subprocess.run([sys.executable, "-m", "kg.cli", "validate", str(path)], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)


def test_kg_validate_refuses_hostile_files_and_fetches_nothing(tmp_path, victim):
    for name, text in [("laughs.rdf", LAUGHS), ("external.rdf", EXTERNAL),
                       ("remote.jsonld", jsonld_with_context(victim.url + "/c.jsonld")),
                       ("local.jsonld", jsonld_with_context("file:///etc/passwd"))]:
        (tmp_path / name).write_text(text)
        run = kg_validate(tmp_path / name)
        assert run.returncode == 2, (name, run.stdout, run.stderr)
        assert name in run.stderr and "Traceback" not in run.stderr
        assert "root:" not in run.stdout + run.stderr
    assert victim.hits == 0
    # a 2 MB literal is read at once (rdflib took 17 s)
    (tmp_path / "big.ttl").write_text('<urn:a> <urn:b> "' + "x" * 2_000_000 + '" .\n')
    run = kg_validate(tmp_path / "big.ttl")
    assert run.returncode in (0, 1) and "Traceback" not in run.stderr


# 9 -------------------------------------------------------------------------------------------

COUNT_DEFAULT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
SOURCE_GRAPH = "https://w3id.org/sdgkg/graph/source/dpadm-projects-stripped/1617b"


def count(url, query=COUNT_DEFAULT) -> int:
    return int(get(url, query).json()["results"]["bindings"][0]["n"]["value"])


def test_writes_keep_the_union_default_graph_true(built):
    with kg_server(built.out, env={"SDGKG_ADMIN_TOKEN": "s3cret"}) as url:
        only_there = (f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{SOURCE_GRAPH}> {{ ?s ?p ?o }} "
                      f"FILTER NOT EXISTS {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{SOURCE_GRAPH}>) }} }}")
        unique = count(url, only_there)
        assert unique > 0
        before = count(url)
        assert httpx.delete(url + "/store", params={"graph": SOURCE_GRAPH}, headers=AUTH, timeout=60).status_code == 204
        assert count(url) == before - unique
        r = httpx.put(url + "/store", params={"graph": "urn:new"}, content="<urn:x> <urn:y> <urn:z> .",
                      headers={**AUTH, "Content-Type": "application/n-triples"}, timeout=60)
        assert r.status_code == 204
        assert get(url, "ASK { <urn:x> <urn:y> <urn:z> }").json()["boolean"] is True
        # writing the union view itself is refused with what to do instead
        r = httpx.post(url + "/sparql", data={"update": "INSERT DATA { <urn:d> <urn:e> <urn:f> }"},
                       headers=AUTH, timeout=60)
        assert r.status_code == 400 and "named graph" in r.json()["error"]
        r = httpx.put(url + "/store?default", content="<urn:x> <urn:y> <urn:z> .",
                      headers={**AUTH, "Content-Type": "application/n-triples"}, timeout=60)
        assert r.status_code == 400
        # every worker agrees
        assert {count(url) for _ in range(4)} == {before - unique + 1}


# 11 ------------------------------------------------------------------------------------------


def test_oversized_request_head_is_431_not_a_reset(fed):
    r = httpx.get(fed + "/sparql", params={"query": ASK}, headers={"Accept": "a" * 1_000_000}, timeout=30)
    assert r.status_code == 431
    assert get(fed, ASK).status_code == 200


def test_admin_token_is_refused_on_the_command_line(built, tmp_path):
    run = subprocess.run([sys.executable, "-m", "kg.cli", "serve", "--build", str(built.out), "--admin-token", "x"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "--admin-token-file" in run.stderr
    (tmp_path / "token").write_text("from-a-file\n")
    with kg_server(built.out, "--admin-token-file", str(tmp_path / "token")) as url:
        r = httpx.post(url + "/sparql", data={"update": "INSERT DATA { GRAPH <urn:t> { <urn:a> <urn:b> <urn:c> } }"},
                       headers={"Authorization": "Bearer from-a-file"}, timeout=60)
        assert r.status_code == 204
        httpx.get(url + "/sparql", params={"query": ASK, "access_token": "SECRET-IN-URL"}, timeout=30)
        time.sleep(0.5)
        assert "SECRET-IN-URL" not in url.log() and "access_token=***" in url.log()


def test_deeply_nested_turtle_upload_is_parsed_without_crashing_the_worker(fed):
    deep = "<urn:a> <urn:p> " + "[ <urn:p> " * 50_000 + "1" + " ]" * 50_000 + " ."
    r = httpx.put(fed + "/store", params={"graph": "urn:deep"}, content=deep,
                  headers={**AUTH, "Content-Type": "text/turtle"}, timeout=60)
    assert r.status_code == 204
    assert get(fed, "ASK { GRAPH <urn:deep> { <urn:a> <urn:p> ?x } }").json()["boolean"] is True
    # past the body limit: refused before any parsing
    r = httpx.put(fed + "/store", params={"graph": "urn:big"}, content='<urn:a> <urn:b> "' + "x" * 2_000_000 + '" .',
                  headers={**AUTH, "Content-Type": "text/turtle"}, timeout=60)
    assert r.status_code == 413


def test_a_memory_exploding_query_fails_alone(built):
    explode = ("SELECT (STRLEN(GROUP_CONCAT(CONCAT(STR(?o), STR(?e)))) AS ?x) "
               "WHERE { ?a ?b ?o . ?c ?d ?e }")
    with kg_server(built.out, env={"SDGKG_WORKER_MEMORY_MB": "800"}) as url:
        started = time.monotonic()
        r = get(url, explode, timeout="60")
        assert r.status_code == 500 and "ran out of memory" in r.json()["error"], r.text[:300]
        assert time.monotonic() - started < 60
        assert get(url, ASK).status_code == 200
