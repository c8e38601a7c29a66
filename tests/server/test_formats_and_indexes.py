"""Issue 12 items 6, 8 and 9 with the clients that found them: every RDF syntax on every resource
(with the graphs and the statements pointing in), index pages as RDF, short filter values,
gzip, the Graph Store's default graph, /sparql in a browser and offline schema.org JSON-LD."""

import gzip
import html
import json
import re

import httpx
import pytest
from rdflib import Dataset, Graph, URIRef

from tests.conftest import kg_server

BASE = "https://w3id.org/sdgkg/"
FOCUS = URIRef(BASE + "ontology#focusCountry")
HYDRA = "http://www.w3.org/ns/hydra/core#"


@pytest.fixture(scope="module")
def site(built):
    with kg_server(built.out, "--workers", "2") as url:
        yield url


@pytest.mark.parametrize(
    ("accept", "syntax"),
    [("application/n-quads", "nquads"), ("application/trig", "trig"), ("application/json", "json-ld")],
)
def test_resources_answer_quads_and_plain_json(site, accept, syntax):
    """They answered 406; TriG and N-Quads keep the graph each statement is in."""
    r = httpx.get(site + "/project/1617b", headers={"Accept": accept}, timeout=60)
    assert r.status_code == 200, r.text[:200]
    assert r.headers["content-type"].split(";")[0] == accept
    ds = Dataset()
    ds.parse(data=r.text, format=syntax)
    subject = URIRef(BASE + "project/1617b")
    assert any(True for _ in ds.quads((subject, None, None, None)))
    if syntax != "json-ld":
        graphs = {str(g.identifier) for g in ds.graphs() if len(g)}
        assert BASE + "graph/inferred" in graphs
        assert any(g.startswith(BASE + "graph/source/") for g in graphs), graphs


def test_resource_rdf_has_the_statements_pointing_to_it(site):
    """A crawler gets from a country to the projects that focus on it (issue 12 item 6)."""
    r = httpx.get(site + "/country/BTN", headers={"Accept": "text/turtle"}, timeout=60)
    g = Graph().parse(data=r.text, format="turtle")
    projects = set(g.subjects(FOCUS, URIRef(BASE + "country/BTN")))
    assert URIRef(BASE + "project/1819g") in projects


@pytest.mark.parametrize(
    ("path", "member"),
    [
        ("/projects", "project/1617b"),
        ("/countries", "country/BTN"),
        ("/organisations", "organisation/dpadm"),
        ("/sources", "source/"),
        ("/sdgs", "http://metadata.un.org/sdg/16"),
    ],
)
def test_index_pages_answer_rdf_clients_with_a_collection(site, path, member):
    """Accept: text/turtle got HTML; now the listed members with their labels."""
    r = httpx.get(site + path, headers={"Accept": "text/turtle"}, timeout=60)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    g = Graph().parse(data=r.text, format="turtle")
    members = [str(m) for m in g.objects(None, URIRef(HYDRA + "member"))]
    assert any(m.startswith(member if "://" in member else BASE + member) for m in members), members[:5]
    total = next(g.objects(None, URIRef(HYDRA + "totalItems")))
    assert int(total) == len(set(members))
    html = httpx.get(site + path, headers={"Accept": "text/html"}, timeout=60)
    assert html.headers["content-type"].startswith("text/html")


def _listed(text: str) -> int:
    return int(re.search(r"<p>(\d+) projects\.</p>", text).group(1))


def test_project_filters_take_the_codes_people_type(site):
    """/projects?country=BTN silently listed all projects; codes now filter, unknown ones say so."""
    everything = _listed(httpx.get(site + "/projects", timeout=60).text)
    bhutan = httpx.get(site + "/projects", params={"country": "BTN"}, timeout=60).text
    by_iri = httpx.get(site + "/projects", params={"country": BASE + "country/BTN"}, timeout=60).text
    assert 0 < _listed(bhutan) == _listed(by_iri) < everything
    assert "/project/1819g" in bhutan
    assert 0 < _listed(httpx.get(site + "/projects", params={"sdg": "16"}, timeout=60).text) < everything
    unknown = httpx.get(site + "/projects", params={"country": "XYZ"}, timeout=60).text
    assert _listed(unknown) == 0
    assert "no country &#39;XYZ&#39; in this dataset" in unknown


def test_gzip_for_clients_that_accept_it(site, built):
    """dataset.nq went out uncompressed; a Range request still gets the file's own bytes."""
    raw = (built.out / "dataset.nq").read_bytes()
    with httpx.stream("GET", site + "/dumps/dataset.nq", headers={"Accept-Encoding": "gzip"}, timeout=60) as r:
        assert r.headers["content-encoding"] == "gzip"
        body = b"".join(r.iter_raw())
    assert gzip.decompress(body) == raw and len(body) < len(raw) / 3
    part = httpx.get(site + "/dumps/dataset.nq", headers={"Range": "bytes=0-99", "Accept-Encoding": "gzip"}, timeout=60)
    assert part.status_code == 206 and "content-encoding" not in part.headers and part.content == raw[:100]
    page = httpx.get(site + "/project/1617b", headers={"Accept": "text/html"}, timeout=60)
    assert page.headers["content-encoding"] == "gzip"  # httpx asks for it and decodes


def test_graph_store_get_without_a_graph_reads_the_default_graph(site):
    """GET /store was 400; the default graph (here the union of the named graphs) is the answer."""
    r = httpx.get(site + "/store", headers={"Accept": "application/n-triples"}, timeout=60)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/n-triples")
    g = Graph().parse(data=r.text, format="nt")
    assert (URIRef(BASE + "project/1617b"), None, None) in g
    assert httpx.put(site + "/store", content=b"", timeout=60).status_code in (400, 401, 403)


def test_sparql_opened_in_a_browser_goes_to_the_query_editor(site):
    """It showed the raw service description; RDF clients still get it."""
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    r = httpx.get(site + "/sparql", headers={"Accept": browser}, timeout=60, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/query"
    sd = httpx.get(site + "/sparql", headers={"Accept": "text/turtle"}, timeout=60)
    assert sd.status_code == 200 and "http://www.w3.org/ns/sparql-service-description#" in sd.text


def test_embedded_schema_org_json_ld_needs_no_network(site):
    """The page's JSON-LD used the remote context https://schema.org; rdflib reads it offline now."""
    page = httpx.get(site + "/project/1617b", headers={"Accept": "text/html"}, timeout=60).text
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    data = json.loads(block)
    assert isinstance(data["@context"], dict)
    g = Graph().parse(data=block, format="json-ld")
    names = list(g.objects(URIRef(BASE + "project/1617b"), URIRef("https://schema.org/name")))
    assert len(names) == 1 and str(names[0])


def test_pyld_expands_the_schema_org_block_with_network_loading_refused(site):
    """pyld, the JSON-LD processor that failed offline on the remote context, must need no loader."""
    from pyld import jsonld

    fetched: list[str] = []

    def no_network(url, options=None):
        fetched.append(url)
        raise jsonld.JsonLdError(f"offline: refused to load {url}", "loading document failed")

    page = httpx.get(site + "/project/1617b", headers={"Accept": "text/html"}, timeout=60).text
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    expanded = jsonld.expand(json.loads(block), {"documentLoader": no_network})
    assert fetched == []
    node = next(n for n in expanded if n.get("@id") == BASE + "project/1617b")
    assert node["https://schema.org/name"][0]["@value"]
    assert node["@type"] == ["https://schema.org/Project"]
    assert node["https://schema.org/areaServed"], "1617B serves countries"


def test_openapi_document_is_valid(site):
    """openapi-spec-validator refused it: operation ids repeated across /sparql and /store methods."""
    from openapi_spec_validator import validate

    spec = httpx.get(site + "/openapi.json", timeout=60).json()
    validate(spec)
    sparql = spec["paths"]["/sparql"]
    assert {p["name"] for p in sparql["get"]["parameters"]} >= {"query", "default-graph-uri", "named-graph-uri"}
    assert {"400", "406", "503", "504"} <= set(sparql["get"]["responses"])
    assert set(spec["paths"]["/store"]) == {"get", "put", "post", "delete"}


def test_project_page_shows_each_value_once(site):
    """/project/1617b repeated its objective under every inferred super-property (issue 12 item 9)."""
    query = """PREFIX sdgkg: <https://w3id.org/sdgkg/ontology#>
        SELECT ?text WHERE { <https://w3id.org/sdgkg/project/1617b> sdgkg:objective ?text } LIMIT 1"""
    text = httpx.post(site + "/sparql", data={"query": query}, timeout=60).json()["results"]["bindings"][0]
    page = httpx.get(site + "/project/1617b", headers={"Accept": "text/html"}, timeout=60).text
    table = page[page.index('<table class="statements">'):]
    table = table[:table.index("</table>")]
    snippet = html.escape(text["text"]["value"][:80], quote=False)
    assert table.count(snippet) == 1
    assert "also as" in table


def test_two_properties_never_share_a_label_on_a_page(site):
    """The organisation page showed sdgkg:agent and prov:agent both as "agent"."""
    page = httpx.get(site + "/organisation/dpadm", headers={"Accept": "text/html"}, timeout=60).text
    shown = re.findall(r'<td><a href="[^"]*">([^<]+)</a> \(\d+\)</td>', page)
    assert shown and len(shown) == len(set(shown))
    assert "agent (sdgkg:agent)" in shown and "agent (prov:agent)" in shown


def test_project_page_opens_with_a_summary_card(site):
    """Countries, SDGs, dates, budget and partners at a glance (issue 12 item 9)."""
    page = httpx.get(site + "/project/roa-206-8", headers={"Accept": "text/html"}, timeout=60).text
    card = page[page.index('<section class="summary-card"'):]
    card = re.sub(r"<[^>]+>", " ", card[:card.index("</section>")])
    card = " ".join(card.split())
    assert "When 2014-06-01 – 2016-12-31" in card
    assert "Bangladesh , Nepal , Panama , Uruguay" in card
    assert "USD 592,000 (total)" in card
    assert "Funding source United Nations Development Account" in card
    assert "suggested: 16.6" in card


def test_sdg_goal_page_lists_its_targets_once_numbered_in_kos_order(site):
    """Targets were unnumbered and listed twice (hasTarget and skos:narrower)."""
    page = httpx.get(site + "/resource", params={"iri": "http://metadata.un.org/sdg/16"},
                     headers={"Accept": "text/html"}, timeout=60).text
    table = page[page.index('<table class="statements">'):]
    text = " ".join(re.sub(r"<[^>]+>", " ", table[:table.index("</table>")]).split())
    codes = re.findall(r" (16\.[0-9ab]+) [A-Z]", text)
    assert codes == [f"16.{n}" for n in range(1, 11)] + ["16.a", "16.b"]
    assert "hasTarget also as narrower" in text


def test_countries_map_and_country_page(site):
    """Maps that work offline (issue 12): drawn on the server from npm's world-atlas outlines."""
    page = httpx.get(site + "/countries", headers={"Accept": "text/html"}, timeout=60).text
    svg = page[page.index('<svg class="world-map"'):page.index("</svg>")]
    shaded = re.findall(r'<a href="(/country/[A-Z]{3})"><path d="M[^"]+" class="on"', svg)
    assert "/country/BTN" in shaded and "/country/ETH" in shaded
    small = re.search(r"Too small for the map&#39;s scale: ([^.]+)\.", page).group(1).split(", ")
    served = re.findall(r"<td>([1-9]\d*)</td></tr>", page)
    assert len(shaded) + len(small) == len(served)  # every served country is on the map or named under it
    bhutan = httpx.get(site + "/country/BTN", headers={"Accept": "text/html"}, timeout=60).text
    assert re.search(r"<h2>Projects focusing on Bhutan \((\d+)\)</h2>", bhutan).group(1) == "2"
    assert '<a href="/project/1819g">' in bhutan
    other = re.search(r"<h3>Other work for Bhutan \((\d+)\)</h3>(.*?)</ul>", bhutan)  # not counted as projects
    assert other.group(1) == "1" and "(project component)" in other.group(2)
    assert bhutan.count('class="on"') == 1 and "Bhutan on the world map" in bhutan


def test_home_page_charts_budgets_by_start_year_as_the_api_answers(site):
    api = httpx.get(site + "/api/queries/budget-by-start-year", timeout=60).json()["results"]["bindings"]
    page = httpx.get(site + "/", headers={"Accept": "text/html"}, timeout=60).text
    svg = page[page.index('<svg class="chart"'):]
    svg = svg[:svg.index("</svg>")]
    bars = re.findall(r"<title>(\d{4}): USD ([\d,]+)", svg)
    expected = [(r["year"]["value"], f"{float(r['total']['value']) if 'total' in r else 0:,.0f}") for r in api]
    assert bars == expected and len(bars) > 3


def test_organisation_page_lists_its_projects_by_role(site):
    """Organisation pages by role (issue 12): the projects it funds, leads, partners in…"""
    page = httpx.get(site + "/organisation/un-da", headers={"Accept": "text/html"}, timeout=60).text
    section = page[page.index('<section class="roles">'):]
    section = section[:section.index("</section>")]
    query = """PREFIX sdgkg: <https://w3id.org/sdgkg/ontology#>
        SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p sdgkg:fundingSource <https://w3id.org/sdgkg/organisation/un-da> ;
        a sdgkg:Project }"""
    n = httpx.post(site + "/sparql", data={"query": query}, timeout=60).json()["results"]["bindings"][0]["n"]["value"]
    assert f"<td>funding source ({n})</td>" in section and int(n) > 3
    assert '<a href="/project/roa-206-8">' in section
