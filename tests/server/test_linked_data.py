"""Linked-data publication over real HTTP: every minted IRI answers in HTML and RDF, content
negotiation, helpful 404s, VoID and DCAT with true numbers, dumps with checksums, ontology docs,
and a crawl of every internal link from the home page without a 4xx/5xx."""

import hashlib
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pyoxigraph as ox
import pytest
from rdflib import Graph

from kg.build import seal
from tests.conftest import kg_server

BASE = "https://w3id.org/sdgkg/"
VOID = "http://rdfs.org/ns/void#"


@pytest.fixture(scope="module")
def site(built):
    with kg_server(built.out, "--workers", "2") as url:
        yield url


def minted_iris(built) -> list[str]:
    found = set()
    for q in ox.parse(path=str(built.out / "dataset.nq"), format=ox.RdfFormat.N_QUADS):
        for term in (q.subject, q.object, q.graph_name):
            value = term.value if isinstance(term, ox.NamedNode) else ""
            # ontology and shape terms are documented at /ontology and in shapes/, not resources of the data
            if value.startswith(BASE) and not value.startswith((BASE + "ontology", BASE + "shapes")):
                found.add(value)
    return sorted(found)


def test_every_minted_iri_answers_in_html_and_rdf(site, built):
    iris = minted_iris(built)
    assert len(iris) > 700

    def check(iri: str) -> str | None:
        path = iri.removeprefix(BASE)
        r = httpx.get(f"{site}/{path}", headers={"Accept": "application/n-triples"}, timeout=60)
        if r.status_code != 200 or r.headers["content-type"].split(";")[0] != "application/n-triples":
            return f"{iri}: {r.status_code} {r.headers.get('content-type')}"
        if iri not in r.text and "/graph/" not in iri:  # an appearance graph may only be an object of others
            return f"{iri}: not in its own description"
        page = httpx.get(f"{site}/{path}", headers={"Accept": "text/html"}, timeout=60)
        if page.status_code != 200 or not page.headers["content-type"].startswith("text/html") or \
                f"<code>{iri}</code>" not in page.text:
            return f"{iri}: HTML {page.status_code}"
        return None

    with ThreadPoolExecutor(4) as pool:
        problems = [p for p in pool.map(check, iris) if p]
    assert problems == []


@pytest.mark.parametrize(("accept", "fmt", "media", "parse"), [
    ("text/turtle", None, "text/turtle", "turtle"),
    ("application/ld+json", None, "application/ld+json", "json-ld"),
    ("application/n-triples", None, "application/n-triples", "nt"),
    ("application/rdf+xml", None, "application/rdf+xml", "xml"),
    ("text/html;q=0.5, text/turtle;q=0.9", None, "text/turtle", "turtle"),
    ("text/html", "jsonld", "application/ld+json", "json-ld"),
])
def test_content_negotiation(site, accept, fmt, media, parse):
    r = httpx.get(site + "/project/1819g", headers={"Accept": accept},
                  params={"format": fmt} if fmt else None, timeout=30)
    assert r.status_code == 200 and r.headers["content-type"].split(";")[0] == media
    assert "Accept" in r.headers["vary"]
    g = Graph()
    g.parse(data=r.text, format=parse)
    titles = {str(o) for s, p, o in g if str(p) == "http://purl.org/dc/terms/title"}
    assert titles == {"Institutional arrangements for policy integration, coordination, and stakeholder engagement "
                      "in SDG implementation and reviews in Asia and the Pacific"}


def test_browsers_get_html(site):
    r = httpx.get(site + "/project/1617b", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
                  timeout=30)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "<h1>1617B – Building institutional capacity" in html
    assert "Where the sources differ" in html and re.search(r"<td>lead division</td>.*?<td>refinement \(renamed\)", html)
    assert "A source has an empty budget field" in html  # the validation finding
    assert "source: dpidg-projects/1617b-2" in html  # the source graph of a statement
    assert '"@type": "Project"' in html  # embedded schema.org JSON-LD
    assert 'rel="alternate" type="text/turtle"' in html


def test_unknown_iris_get_a_helpful_404(site):
    r = httpx.get(site + "/project/no-such-project", timeout=30)
    assert r.status_code == 404 and "Nothing is known about" in r.text and 'href="/projects"' in r.text
    r = httpx.get(site + "/project/no-such-project", headers={"Accept": "text/turtle"}, timeout=30)
    assert r.status_code == 404 and r.json()["status"] == 404
    assert httpx.get(site + "/no/such/page", timeout=30).status_code == 404


def test_sdg_pages_have_breadcrumbs(site):
    r = httpx.get(site + "/resource", params={"iri": "http://metadata.un.org/sdg/C160601"}, timeout=30)
    assert r.status_code == 200
    crumbs = re.search(r'<p class="crumbs">(.*?)</p>', r.text, re.S).group(1)
    assert crumbs.index(">16 ") < crumbs.index(">16.6 ")  # goal › target › indicator


def test_void_states_true_numbers(site, built):
    r = httpx.get(site + "/.well-known/void", headers={"Accept": "text/turtle"}, timeout=60)
    g = Graph()
    g.parse(data=r.text, format="turtle")
    ds = next(s for s, p, o in g if str(p) == VOID + "triples" and str(s) == BASE + "dataset")
    triples = int(g.value(ds, g.namespace_manager.expand_curie("void:triples")))
    union = Graph()
    union.parse(built.out / "union.ttl")
    assert triples == len(union)
    classes = {str(g.value(part, g.namespace_manager.expand_curie("void:class"))): int(
        g.value(part, g.namespace_manager.expand_curie("void:entities")))
        for part in g.objects(ds, g.namespace_manager.expand_curie("void:classPartition"))}
    assert classes["https://w3id.org/sdgkg/ontology#Project"] == 26
    assert classes["https://w3id.org/sdgkg/ontology#TechnicalCooperationActivity"] == 9
    linksets = {str(s): int(g.value(s, g.namespace_manager.expand_curie("void:triples")))
                for s in g.subjects(g.namespace_manager.expand_curie("void:objectsTarget"), None)}
    expected_sdg = sum(1 for s, p, o in union if str(s).startswith(BASE) and str(o).startswith("http://metadata.un.org/sdg/"))
    assert linksets[BASE + "dataset/linkset/sdg"] == expected_sdg > 0
    assert linksets[BASE + "dataset/linkset/wikidata"] > 249  # every country has a Wikidata QID


def test_dcat_distributions_and_dumps(site, built):
    r = httpx.get(site + "/catalog", headers={"Accept": "text/turtle"}, timeout=30)
    g = Graph()
    g.parse(data=r.text, format="turtle")
    q = """PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX spdx: <http://spdx.org/rdf/terms#>
        SELECT ?url ?size ?sha WHERE { ?d dcat:downloadURL ?url ; dcat:byteSize ?size ;
        spdx:checksum [ spdx:checksumValue ?sha ] }"""
    rows = list(g.query(q))
    assert len(rows) == 4
    for url, size, sha in rows:
        name = str(url).rsplit("/", 1)[1]
        body = httpx.get(site + "/dumps/" + name, timeout=60).content
        assert len(body) == int(size) == (built.out / name).stat().st_size
        assert hashlib.sha256(body).hexdigest() == str(sha)
    assert any(str(o).endswith("/sparql") for o in g.objects(None, g.namespace_manager.expand_curie("dcat:endpointURL")))


def test_catalogue_and_quality_page_show_the_dqv_measurements(site, built):
    """Issue 13 item 6: quality as linked data, in the DCAT catalogue and on a page."""
    r = httpx.get(site + "/catalog", headers={"Accept": "text/turtle"}, timeout=30)
    g = Graph().parse(data=r.text, format="turtle")
    rows = list(g.query("""PREFIX dqv: <http://www.w3.org/ns/dqv#> PREFIX sdgkg: <https://w3id.org/sdgkg/ontology#>
        PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX sh: <http://www.w3.org/ns/shacl#>
        SELECT ?v WHERE { ?ds a dcat:Dataset ; dqv:hasQualityMeasurement ?m . ?m dqv:computedOn ?ds ;
          dqv:isMeasurementOf sdgkg:findingCount ; sdgkg:ofSeverity sh:Warning ; dqv:value ?v
          FILTER NOT EXISTS { ?m sdgkg:ofShape ?s } }"""))
    assert [int(v) for (v,) in rows] == [built.validation.count("Warning")]
    page = httpx.get(site + "/quality", headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 200 and "<h1>Quality measurements</h1>" in page.text
    first = re.search(r"<tr><td><a[^>]*>the dataset</a></td>(.*?)</tr>", page.text).group(1)
    cells = re.findall(r"<td>(?:<a[^>]*>)?([^<]*)", first)
    assert cells[0] == str(built.summary["projects"])
    assert cells[5:8] == [str(built.validation.count(s)) for s in ("Violation", "Warning", "Info")]
    assert "Date in the text outside the time frame" in page.text and "dpidg-projects" in page.text
    linked = re.search(rf'<a href="([^"]+)">{built.validation.count("Warning")}</a>', page.text)
    assert linked is not None and httpx.get(site + linked.group(1), timeout=30).status_code == 200


def test_ontology_documentation(site):
    html = httpx.get(site + "/ontology", timeout=30).text
    assert 'id="Project"' in html and "A development-cooperation project" in html
    ttl = httpx.get(site + "/ontology", headers={"Accept": "text/turtle"}, timeout=30)
    assert ttl.headers["content-type"].startswith("text/turtle") and "owl:Ontology" in ttl.text
    # a term IRI links to its anchor in the documentation
    page = httpx.get(site + "/project/1617b", timeout=30).text
    assert 'href="/ontology#codeAsWritten"' in page


def test_shapes_the_report_points_to_dereference(site):
    """A result's sh:sourceShape (a property shape: <node shape>-<name>) is listed at /shapes."""
    import pyoxigraph as ox

    ttl = httpx.get(site + "/shapes", headers={"Accept": "text/turtle"}, timeout=30)
    assert ttl.status_code == 200 and ttl.headers["content-type"].startswith("text/turtle")
    shapes = list(ox.parse(ttl.content, format=ox.RdfFormat.TURTLE))
    assert any(t.subject == ox.NamedNode("https://w3id.org/sdgkg/shapes#ProjectShape") for t in shapes)
    html = httpx.get(site + "/shapes", timeout=30).text
    assert "ProjectShape-code" in html and "The canonical project code is not one of the known code shapes" in html
    report = httpx.get(
        site + "/sparql",
        params={"query": "SELECT DISTINCT ?s WHERE { ?r <http://www.w3.org/ns/shacl#sourceShape> ?s }"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    ).json()
    sources = {b["s"]["value"].rsplit("#", 1)[-1] for b in report["results"]["bindings"]}
    listed = html
    assert sources and all(s in listed for s in sources)


def test_project_index_filters(site):
    all_projects = httpx.get(site + "/projects", timeout=30).text
    assert "<p>26 projects.</p>" in all_projects
    events = httpx.get(site + "/projects", params={"kind": "event"}, timeout=30).text
    assert "<p>3 events.</p>" in events and "Public Service Forum and Awards 2014 (Seoul)" in events
    bgd = httpx.get(site + "/projects", params={"country": "https://w3id.org/sdgkg/country/BGD"}, timeout=30).text
    assert "<p>2 projects.</p>" in bgd
    ldc_2015 = httpx.get(site + "/projects", params={"group": "https://w3id.org/sdgkg/group/ldc", "year": "2015"},
                         timeout=30).text
    assert "<p>2 projects.</p>" in ldc_2015  # ROA 206-8 and ROA 245-8A ran in 2015 for LDCs
    assert "Bangladesh (2)" in all_projects  # facet counts


def test_other_base_iri(tmp_path):
    """The server maps request paths onto whatever base the served data uses."""
    quads = [ox.Quad(ox.NamedNode("https://example.org/kg/thing/1"),
                     ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), ox.Literal("Thing one"),
                     ox.NamedNode("https://example.org/kg/graph/g"))]
    ox.serialize(quads, str(tmp_path / "dataset.nq"), ox.RdfFormat.N_QUADS)
    seal(tmp_path)
    with kg_server(tmp_path, "--base", "https://example.org/kg/") as url:
        r = httpx.get(url + "/thing/1", timeout=30)
        assert r.status_code == 200 and "<h1>Thing one</h1>" in r.text
        assert "https://example.org/kg/thing/1" in httpx.get(url + "/thing/1?format=nt", timeout=30).text


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("href", "src") and v:
                self.links.append(v)


def test_crawl_every_internal_link_from_home(site):
    seen: set[str] = set()
    broken: list[str] = []
    frontier = ["/"]
    lock = threading.Lock()
    client = httpx.Client(timeout=60)

    def visit(path: str) -> list[str]:
        r = client.get(site + path)
        if r.status_code >= 400:
            with lock:
                broken.append(f"{path}: {r.status_code}")
            return []
        if not r.headers.get("content-type", "").startswith("text/html"):
            return []
        parser = Links()
        parser.feed(r.text)
        out = []
        for link in parser.links:
            absolute = urljoin(site + path, link)
            parts = urlsplit(absolute)
            if f"{parts.scheme}://{parts.netloc}" != site or parts.path.startswith("/dumps/"):
                continue
            out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
        return out

    with ThreadPoolExecutor(4) as pool:
        while frontier:
            batch = [p for p in dict.fromkeys(frontier) if p not in seen]
            seen.update(batch)
            frontier = [link for links in pool.map(visit, batch) for link in links]
    client.close()
    assert broken == []
    assert len(seen) > 1000  # projects, organisations, countries, regions, SDGs, roles, mentions, graphs…


def test_void_and_catalog_for_people(site):
    for path, title in (("/.well-known/void", "VoID description"), ("/catalog", "DCAT catalogue")):
        r = httpx.get(site + path, headers={"Accept": "text/html,*/*;q=0.8"}, timeout=60)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert f"<h1>{title}</h1>" in r.text and "?format=ttl" in r.text
        assert httpx.get(site + path, timeout=60).headers["content-type"].startswith("text/turtle")


@pytest.mark.parametrize("path", ["/", "/project/1617b", "/country/BTN", "/countries", "/projects?country=BTN",
                                  "/dumps/dataset.nq", "/ontology", "/.well-known/void", "/catalog", "/query",
                                  "/api/queries", "/api/queries/projects-by-country", "/docs", "/openapi.json",
                                  "/static/query.js", "/sparql", "/store?graph=https://w3id.org/sdgkg/graph/provenance"])
def test_head_answers_like_get_on_every_kind_of_route(site, path):
    """wget --spider and link checkers send HEAD: it answered 405 everywhere but /sparql."""
    head = httpx.head(site + path, timeout=60)
    get = httpx.get(site + path, timeout=60)
    assert head.status_code == get.status_code == 200, (path, head.status_code, get.status_code)
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    if path.startswith("/dumps/"):
        plain = {"Accept-Encoding": "identity"}
        length = httpx.head(site + path, headers=plain, timeout=60).headers["content-length"]
        assert int(length) == len(get.content)


@pytest.mark.parametrize("written", ["1617B", "DA1617B", "ROA%20206-8"])
def test_project_codes_as_printed_redirect_to_the_canonical_iri(site, written):
    r = httpx.get(site + "/project/" + written, headers={"Accept": "text/turtle"}, timeout=60, follow_redirects=False)
    assert r.status_code == 301
    target = r.headers["location"]
    assert target in ("/project/1617b", "/project/roa-206-8")
    assert httpx.get(site + target, headers={"Accept": "text/turtle"}, timeout=60).status_code == 200


def test_project_page_shows_where_each_value_came_from_and_its_repairs(site):
    """Issue 13: the field as written, how it was stated, its line, and each repair (as written → repaired)."""
    page = httpx.get(site + "/project/1819g", headers={"Accept": "text/html"}, timeout=30).text
    panel = page[page.index('<section class="fields">'):]
    panel = panel[:panel.index("</section>")]
    row = re.search(r"<tr><td>(000_[0-9a-f]+\.txt:\d+)</td><td>Focus Countries</td><td>field label</td>"
                    r"<td>Buthan, Laos, Fiji, Vanuatu</td><td>(.*?)</td></tr>", panel)
    assert row and "<strong>name corrected</strong>: <code>Buthan</code> → <code>Bhutan</code>" in row.group(2)
    # UNPOG: MOPAS (one page) within the Government of Korea (the other) is a refinement, not a conflict
    unpog = httpx.get(site + "/project/int06x14", headers={"Accept": "text/html"}, timeout=30).text
    assert re.search(r"<td>funding source</td><td>.*?</td><td>refinement \(part of\)</td>", unpog)
    assert re.search(r"<td>budget</td><td>.*?</td><td>conflict</td>", unpog)
