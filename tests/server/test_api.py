"""The query library over REST (documented in OpenAPI) and the CLI, and the federation examples
against a local stand-in endpoint holding a small fixture."""

import subprocess
import sys

import httpx
import pytest

from kg.server.queries import load_library
from tests.conftest import kg_server
from tests.triplestores import oxigraph_server

LIBRARY = load_library()


def test_list(server):
    r = httpx.get(server + "/api/queries", timeout=10)
    assert r.status_code == 200
    names = {q["name"] for q in r.json()}
    assert names == set(LIBRARY) and len(names) >= 25
    q = next(q for q in r.json() if q["name"] == "projects-by-country")
    assert q["title"] == "Projects by focus country"
    assert q["parameters"] == [{"name": "country", "type": "iri", "default": "https://w3id.org/sdgkg/country/BGD",
                                "description": "The country (https://w3id.org/sdgkg/country/ISO3)."}]


def test_run_json_and_csv(server):
    url = server + "/api/queries/projects-by-country"
    r = httpx.get(url, params={"country": "https://w3id.org/sdgkg/country/NPL"}, timeout=30)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/sparql-results+json")
    assert [b["project"]["value"] for b in r.json()["results"]["bindings"]] == [
        "https://w3id.org/sdgkg/project/roa-206-8"]
    csv = httpx.get(url, headers={"Accept": "text/csv"}, timeout=30)
    assert csv.status_code == 200 and csv.text.splitlines()[0] == "project,label"
    assert len(csv.text.splitlines()) == 3  # Bangladesh (the default): 1617B and ROA 206-8
    assert httpx.get(url, params={"format": "csv"}, timeout=30).headers["content-type"].startswith("text/csv")


def test_typed_parameters_are_validated(server):
    r = httpx.get(server + "/api/queries/projects-active-in-year", params={"year": "twenty"}, timeout=10)
    assert r.status_code == 400 and "parameter 'year' must be integer" in r.json()["error"]
    r = httpx.get(server + "/api/queries/projects-by-country", params={"country": "x> } DROP ALL #"}, timeout=10)
    assert r.status_code == 400
    r = httpx.get(server + "/api/queries/projects-by-country", params={"colour": "red"}, timeout=10)
    assert r.status_code == 400 and "unknown parameter" in r.json()["error"]
    assert httpx.get(server + "/api/queries/no-such-query", timeout=10).status_code == 404


def test_openapi_documents_every_query(server):
    spec = httpx.get(server + "/openapi.json", timeout=10).json()
    for q in LIBRARY.values():
        op = spec["paths"][f"/api/queries/{q.name}"]["get"]
        assert op["summary"] == q.title and op["description"].startswith(q.description)
        assert {p["name"] for p in op["parameters"]} == {p.name for p in q.parameters} | {"format"}


def test_cli_named_query(built):
    result = subprocess.run([sys.executable, "-m", "kg.cli", "query", "--name", "projects-by-donor",
                             "--build", str(built.out), "--format", "csv"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith("https://w3id.org/sdgkg/project/belt-and-road-2030-agenda,")
    result = subprocess.run([sys.executable, "-m", "kg.cli", "query", "--name", "projects-active-in-year",
                             "--param", "year=2009", "--build", str(built.out), "--format", "tsv"],
                            capture_output=True, text=True)
    assert {line.split("\t")[0].rsplit("/", 1)[1] for line in result.stdout.splitlines()[1:]} == {
        "africa-parliaments", "int06x14", "togo-public-administration-reform"}
    bad = subprocess.run([sys.executable, "-m", "kg.cli", "query", "--name", "projects-active-in-year",
                          "--param", "year=soon", "--build", str(built.out)], capture_output=True, text=True)
    assert bad.returncode == 2 and "must be integer" in bad.stderr
    listing = subprocess.run([sys.executable, "-m", "kg.cli", "query", "--list"], capture_output=True, text=True)
    assert "federation-wikidata-countries" in listing.stdout and "[needs internet]" in listing.stdout


WIKIDATA_FIXTURE = """
<http://www.wikidata.org/entity/Q917> <http://www.wikidata.org/prop/direct/P298> "BTN" .
<http://www.wikidata.org/entity/Q917> <http://www.wikidata.org/prop/direct/P1082> "727145" .
<http://www.wikidata.org/entity/Q819> <http://www.wikidata.org/prop/direct/P298> "LAO" .
<http://www.wikidata.org/entity/Q712> <http://www.wikidata.org/prop/direct/P298> "FJI" .
"""
KOS_FIXTURE = """
<http://metadata.un.org/sdg/16> <http://www.w3.org/2004/02/skos/core#prefLabel> "Paz, justicia e instituciones sólidas"@es .
<http://metadata.un.org/sdg/7> <http://www.w3.org/2004/02/skos/core#prefLabel> "Énergie propre"@fr .
"""


@pytest.fixture(scope="module")
def stand_in():
    with oxigraph_server() as url:
        r = httpx.put(url + "/store?default", content=WIKIDATA_FIXTURE + KOS_FIXTURE,
                      headers={"Content-Type": "application/n-triples"}, timeout=10)
        assert r.status_code in (200, 201, 204)
        yield url


def test_federation_examples_against_a_stand_in(built, stand_in):
    with kg_server(built.out, "--service-allow", stand_in + "/") as url:
        # --service-allow adds to the default allow-list (it replaced it: the Wikidata example got 403)
        description = httpx.get(url + "/sparql", headers={"Accept": "text/turtle"}, timeout=60).text
        assert "https://query.wikidata.org/sparql" in description and stand_in + "/" in description
        r = httpx.get(url + "/api/queries/federation-wikidata-countries",
                      params={"endpoint": stand_in + "/query"}, timeout=60)
        assert r.status_code == 200, r.text
        rows = [(b["iso3"]["value"], b.get("population", {}).get("value")) for b in r.json()["results"]["bindings"]]
        assert rows == [("BTN", "727145"), ("FJI", None), ("LAO", None)]  # 1819G; Vanuatu is not in the fixture
        r = httpx.get(url + "/api/queries/federation-sdg-kos-labels", params={"endpoint": stand_in + "/query"},
                      timeout=60)
        assert r.status_code == 200, r.text
        labels = {(b["goal"]["value"].rsplit("/", 1)[1], b["label"]["value"]) for b in r.json()["results"]["bindings"]}
        assert labels == {("16", "Paz, justicia e instituciones sólidas"), ("7", "Énergie propre")}
    # the endpoint parameter is still subject to the allow-list
    with kg_server(built.out) as url:
        r = httpx.get(url + "/api/queries/federation-wikidata-countries",
                      params={"endpoint": stand_in + "/query"}, timeout=60)
        assert r.status_code == 403


def test_kg_query_endpoint_runs_every_library_query(server):
    """SPARQLWrapper took the word 'address' in a header comment for the ADD update keyword."""
    from click.testing import CliRunner

    from kg.cli import main
    from kg.server.queries import load_library

    failed = {}
    for name, q in sorted(load_library().items()):
        if "internet" in q.needs:
            continue
        result = CliRunner().invoke(main, ["query", "--name", name, "--endpoint", server + "/sparql", "--format", "csv"])
        if result.exit_code != 0:
            failed[name] = result.output[-300:]
    assert not failed, failed


def test_kg_query_endpoint_reports_the_status_it_got(server):
    from click.testing import CliRunner

    from kg.cli import main

    result = CliRunner().invoke(main, ["query", "-e", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o } }",
                                       "--endpoint", server + "/sparql"])
    assert result.exit_code == 2 and "answered 403" in result.output and "allow-list" in result.output
