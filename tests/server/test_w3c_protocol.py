"""Replays the W3C SPARQL 1.1 Protocol tests (tests/data/w3c, see SOURCES.md there) against a
real `kg serve` loaded with the tests' data: every query-side test passes; update-side tests
pass with an admin token and are refused (403) without one."""

from pathlib import Path
from urllib.parse import unquote

import httpx
import pyoxigraph as ox
import pytest
from rdflib import Graph, Namespace
from rdflib.collection import Collection

from kg.build import seal
from tests.conftest import DATA, kg_server

W3C = DATA / "w3c" / "sparql11-protocol"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")

MANIFEST = Graph()
MANIFEST.parse(W3C / "manifest.ttl", publicID=(W3C / "manifest.ttl").as_uri())
ENTRY_LIST = MANIFEST.value(next(MANIFEST.subjects(MF.entries, None)), MF.entries)
TESTS = list(Collection(MANIFEST, ENTRY_LIST))
QUERY_TESTS = [t for t in TESTS if "update" not in str(t).split("#")[1]]
UPDATE_TESTS = [t for t in TESTS if "update" in str(t).split("#")[1]]


def test_manifest_counts():
    assert len(TESTS) == 34 and len(QUERY_TESTS) == 20 and len(UPDATE_TESTS) == 14


def make_dataset(directory: Path) -> Path:
    """A build directory whose dataset holds the tests' graph data as named graphs."""
    quads = []
    for test in TESTS:
        for gd in MANIFEST.objects(test, UT.graphData):
            name = str(MANIFEST.value(gd, RDFS.label))
            path = W3C / Path(str(MANIFEST.value(gd, UT.graph))).name
            for t in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES):
                quads.append(ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(name)))
    directory.mkdir(parents=True, exist_ok=True)
    ox.serialize(sorted(set(quads), key=str), str(directory / "dataset.nq"), ox.RdfFormat.N_QUADS)
    seal(directory)
    return directory


def requests_of(test):
    action = MANIFEST.value(test, MF.action)
    return list(Collection(MANIFEST, MANIFEST.value(action, HT.requests)))


def replay(base: str, test, token: str | None = None) -> list[str]:
    """Run a test's requests in order; return the problems (empty when it passes)."""
    problems = []
    for req in requests_of(test):
        method = str(MANIFEST.value(req, HT.methodName))
        path = str(MANIFEST.value(req, HT.absolutePath)).replace("/sparql/", "/sparql", 1)
        headers = {}
        header_list = MANIFEST.value(req, HT.headers)
        if header_list is not None:
            for h in Collection(MANIFEST, header_list):
                headers[str(MANIFEST.value(h, HT.fieldName))] = str(MANIFEST.value(h, HT.fieldValue))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        body_node = MANIFEST.value(req, HT.body)
        content = None
        if body_node is not None:
            encoding = str(MANIFEST.value(body_node, CNT.characterEncoding) or "UTF-8")
            content = str(MANIFEST.value(body_node, CNT.chars)).encode(encoding)
        r = httpx.request(method, base + path, headers=headers, content=content, timeout=30)
        resp = MANIFEST.value(req, HT.resp)
        statuses = {str(s).rsplit("#", 1)[1] for s in MANIFEST.objects(resp, MF.expectedStatus)}
        family = f"StatusCode{r.status_code // 100}xx"
        if family not in statuses:
            problems.append(f"{method} {unquote(path)[:80]} -> {r.status_code} (expected {sorted(statuses)}): "
                            f"{r.text[:200]}")
            continue
        expected_bool = MANIFEST.value(resp, MF.expectedBoolean)
        fmt = MANIFEST.value(resp, MF.expectedFormat)
        ctype = r.headers.get("content-type", "").split(";")[0]
        if expected_bool is not None:
            got = r.json()["boolean"] if "json" in ctype else "<boolean>true" in r.text
            if got != expected_bool.toPython():
                problems.append(f"{unquote(path)[:80]}: boolean {got}, expected {expected_bool}")
        if fmt is not None:
            families = {"boolean": ("sparql-results",), "tabular": ("sparql-results", "csv", "tab-separated"),
                        "RDF": ("turtle", "n-triples", "rdf+xml", "ld+json", "trig", "n-quads")}[str(fmt)]
            if not any(f in ctype for f in families):
                problems.append(f"{unquote(path)[:80]}: content type {ctype} is not {fmt}")
    return problems


@pytest.fixture(scope="module")
def w3c_data(tmp_path_factory) -> Path:
    return make_dataset(tmp_path_factory.mktemp("w3c"))


@pytest.fixture(scope="module")
def readonly(w3c_data):
    with kg_server(w3c_data) as url:
        yield url


@pytest.fixture(scope="module")
def admin(w3c_data):
    # the update tests write the default graph: serve it as a real graph, not the union view
    with kg_server(w3c_data, "--default-graph", "empty", env={"SDGKG_ADMIN_TOKEN": "w3c-token"}) as url:
        yield url


@pytest.mark.parametrize("test", QUERY_TESTS, ids=lambda t: str(t).split("#")[1])
def test_query_side(readonly, test):
    assert replay(readonly, test) == []


@pytest.mark.parametrize("test", UPDATE_TESTS, ids=lambda t: str(t).split("#")[1])
def test_update_side_with_admin_token(admin, test):
    assert replay(admin, test, token="w3c-token") == []


@pytest.mark.parametrize("test", UPDATE_TESTS, ids=lambda t: str(t).split("#")[1])
def test_update_side_refused_without_token(readonly, test):
    """Valid updates answer 403 (read-only); malformed ones still answer their 4xx."""
    for req in requests_of(test):
        method = str(MANIFEST.value(req, HT.methodName))
        if method != "POST":
            continue
        body = MANIFEST.value(MANIFEST.value(req, HT.body), CNT.chars)
        headers = {}
        header_list = MANIFEST.value(req, HT.headers)
        if header_list is not None:
            for h in Collection(MANIFEST, header_list):
                headers[str(MANIFEST.value(h, HT.fieldName))] = str(MANIFEST.value(h, HT.fieldValue))
        path = str(MANIFEST.value(req, HT.absolutePath)).replace("/sparql/", "/sparql", 1)
        ctype = headers.get("content-type", "")
        if "sparql-query" in ctype or str(body).startswith("query="):
            continue  # the follow-up ASK that checks the update's effect
        r = httpx.post(readonly + path, content=str(body).encode("utf-8", "replace"), headers=headers, timeout=30)
        assert 400 <= r.status_code < 500, (test, r.status_code)
        if "bad_" not in str(test):
            assert r.status_code == 403, (test, r.text)
