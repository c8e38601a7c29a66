"""Linked-data publication: dereferenceable IRIs, pages, VoID, DCAT, dumps, ontology docs, query UI.

Every IRI under the configured base resolves here whatever that base is: the request path
after the host is appended to the base. Browsers get HTML, RDF clients get Turtle, JSON-LD,
N-Triples or RDF/XML (``Accept`` or ``?format=``); responses vary on Accept.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from functools import cache
from urllib.parse import unquote, urlencode

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from rdflib import Graph
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from kg import __version__
from kg.graph.namespaces import PREFIXES as KG_PREFIXES
from kg.graph.namespaces import project_key
from kg.ingest.reference import ONTOLOGY_DIR
from kg.server import maps, results
from kg.server import sdgs as sdg_views
from kg.server.charts import bars_svg
from kg.server.linked import (
    ROLES,
    SDGKG_NS,
    Description,
    Linker,
    describe,
    file_facts,
    iati_panel,
    iri,
    labels_for,
    project_summary,
    run_select,
    schema_org,
    short,
)
from kg.server.queries import load_library
from kg.server.workers import RETRY_AFTER
from kg.store.catalog import DUMPS, PREFIXES, dcat_triples, quality_triples, statistics, void_triples

HTML = "text/html"
RDF_OFFERED = [
    HTML,
    "text/turtle",
    "application/ld+json",
    "application/n-triples",
    "application/rdf+xml",
    "application/trig",
    "application/n-quads",
    "application/json",  # JSON-LD for clients that only say JSON
]
EXT = {
    "text/turtle": "ttl",
    "application/ld+json": "jsonld",
    "application/n-triples": "nt",
    "application/rdf+xml": "rdfxml",
    "application/trig": "trig",
    "application/n-quads": "nquads",
}
DEFAULT_QUERY = """SELECT ?project ?label WHERE {
  ?project a sdgkg:Project ; rdfs:label ?label .
} ORDER BY ?label LIMIT 20"""
QUAD_TYPES = ("application/trig", "application/n-quads")
HYDRA = "http://www.w3.org/ns/hydra/core#"
MINTED = (
    "project",
    "organisation",
    "country",
    "region",
    "group",
    "source",
    "graph",
    "dataset",
    "validation",
    ".well-known/genid",
    "catalog",
)
_SAFE_PATH = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=:@/%-]+$")


@cache
def templates() -> Environment:
    """The Jinja environment (templates ship with the package)."""
    return Environment(loader=PackageLoader("kg", "templates"), autoescape=select_autoescape(["html"]))


def render(name: str, status: int = 200, **context: object) -> HTMLResponse:
    """A template as an HTML response that varies on Accept."""
    page = templates().get_template(name).render(**context)
    return HTMLResponse(page, status_code=status, headers={"Vary": "Accept"})


def not_found(message: str, rdf: bool = False) -> Response:
    """A helpful 404: HTML for people, JSON for RDF clients."""
    if rdf:
        return Response(f'{{"error": "{message}", "status": 404}}', 404, media_type="application/json")
    return render("error.html", 404, title="Not found", message=message)


def query_failed(request: Request, exc: Exception) -> Response:
    """A page whose queries could not run: 503 + Retry-After when the store is busy, never a bare 500."""
    status = getattr(exc, "status", 500)
    busy = status in (503, 504)
    code = 503 if busy else 502
    message = (
        "Every query worker is busy right now; this page will answer again in a few seconds."
        if busy
        else f"The store could not answer this page's query ({exc})."
    )
    headers = {"Retry-After": str(RETRY_AFTER)} if busy else {}
    if (request.headers.get("accept") or "").find("text/html") < 0:
        body = json.dumps({"error": message, "status": code})
        return Response(body, code, media_type="application/json", headers=headers)
    page = render("error.html", code, title="Busy" if busy else "Store error", message=message)
    page.headers.update(headers)
    return page


def _select(request: Request):  # noqa: ANN202
    backend = request.app.state.backend
    settings = request.app.state.settings
    return lambda text: run_select(backend, text, settings.timeout, settings.page_wait)


def _known(request: Request, subject: str) -> bool:
    """Whether the dataset says anything about or points to ``subject``."""
    s = iri(subject)
    rows = _select(request)(f"SELECT ?x WHERE {{ {{ {s} ?x ?o }} UNION {{ ?y ?x {s} }} }} LIMIT 1")
    return bool(rows)


def _negotiate(request: Request, offered: list[str]) -> str | None:
    fmt = request.query_params.get("format")
    try:
        return results.negotiate(request.headers.get("accept"), offered, fmt)
    except results.NotAcceptable:
        return None


def _base(request: Request) -> str:
    return request.app.state.settings.base


def _site(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _rdf_response(triples: list[ox.Triple] | list[ox.Quad], mime: str) -> Response:
    """Triples (or quads, for TriG and N-Quads) in the negotiated syntax; plain JSON clients get JSON-LD."""
    syntax = "application/ld+json" if mime == "application/json" else mime
    fmt = results.GRAPH_TYPES[syntax]
    if syntax in QUAD_TYPES:
        triples = [t if isinstance(t, ox.Quad) else ox.Quad(t.subject, t.predicate, t.object) for t in triples]
    elif triples and isinstance(triples[0], ox.Quad):
        triples = list(dict.fromkeys(ox.Triple(q.subject, q.predicate, q.object) for q in triples))
    prefixes = PREFIXES | KG_PREFIXES if syntax in ("text/turtle", "application/trig") else None
    body = ox.serialize(triples, format=fmt, prefixes=prefixes)
    return Response(body, media_type=mime, headers={"Vary": "Accept"})


def _describe_rdf(request: Request, subject: str, mime: str) -> Response:
    """What the store says about an IRI, what points to it, and a named graph's contents.

    The statements pointing in let a crawler get from a country to its projects; TriG and N-Quads
    keep the graph each statement is in.
    """
    s = iri(subject)
    about = f"{{ {s} ?p ?o BIND({s} AS ?s) }} UNION {{ ?s ?p {s} BIND({s} AS ?o) }}"
    contents = f"{{ GRAPH {s} {{ ?s ?p ?o }} BIND({s} AS ?g) }}"
    text = f"SELECT DISTINCT ?s ?p ?o ?g WHERE {{ {{ GRAPH ?g {{ {about} }} }} UNION {contents} }}"
    rows = _select(request)(text)
    quads = [
        ox.Quad(*(results.term_from_json(r[v]) for v in "spo"), results.term_from_json(r["g"]))  # type: ignore[arg-type]
        for r in rows
    ]
    return _rdf_response(quads, mime)


def resource_page(request: Request, subject: str) -> Response:
    """HTML or RDF for one IRI."""
    mime = _negotiate(request, RDF_OFFERED)
    if mime is None:
        return Response('{"error": "not acceptable", "status": 406}', 406, media_type="application/json")
    if mime != HTML:
        s = iri(subject)
        known = _select(request)(f"""SELECT (COUNT(*) AS ?n) WHERE {{ {{ SELECT * WHERE {{ {{ {s} ?p ?o }}
            UNION {{ ?x ?p {s} }} UNION {{ GRAPH {s} {{ ?a ?b ?c }} }} }} LIMIT 1 }} }}""")
        if known[0]["n"]["value"] == "0":
            return not_found(f"Nothing is known about <{subject}> in this dataset.", rdf=True)
        return _describe_rdf(request, subject, mime)
    linker = Linker(_base(request))
    d: Description = describe(_select(request), linker, subject)
    iati = iati_panel(_select(request), subject) if d.exists else None
    if not d.exists:
        return not_found(f"Nothing is known about <{subject}> in this dataset.")

    def fmt_link(fmt: str) -> str:
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "format"] + [("format", fmt)]
        return request.url.path + "?" + urlencode(params)

    alternates = [(m, fmt_link(EXT[m])) for m in EXT]
    is_project = any(t.value == "https://w3id.org/sdgkg/ontology#Project" for t in d.types)
    is_country = any(t.value == "https://w3id.org/sdgkg/ontology#Country" for t in d.types)
    is_organisation = any(t.value == "http://www.w3.org/ns/org#Organization" for t in d.types)
    return render(
        "resource.html",
        sdgs=sdg_views.project_sdgs(_select(request), subject, _minimum(request)) if is_project else None,
        summary=project_summary(_select(request), linker, subject) if is_project else None,
        country=country_panel(_select(request), linker, subject) if is_country else None,
        roles=organisation_roles(_select(request), linker, subject) if is_organisation else None,
        concept=sdg_views.concept_projects(_select(request), subject, _minimum(request)),
        minimum=_minimum(request),
        title=d.label,
        d=d,
        linker=linker,
        sdg_path=d.sdg_path,
        jsonld=schema_org(d),
        iati=iati,
        alternates=alternates,
        fmt_link=fmt_link,
    )


def country_panel(select, linker: Linker, subject: str) -> dict[str, object]:  # noqa: ANN001
    """A country's projects (every one, by name), its other work items apart, and where it is on the map.

    Technical-cooperation rows, components and events are not projects: counting them as projects
    would inflate "projects in Bhutan" (issue 13), so they are listed under their own kind.
    """
    s = iri(subject)
    rows = select(f"""PREFIX sdgkg: <https://w3id.org/sdgkg/ontology#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?p (SAMPLE(?l) AS ?label) (SAMPLE(?k) AS ?kind) WHERE {{ ?p sdgkg:focusCountry {s} ; rdfs:label ?l .
          OPTIONAL {{ ?p a ?k . VALUES ?k {{ {" ".join(iri(SDGKG_NS + k) for k in KIND_NOUN)} }} }} }}
        GROUP BY ?p ORDER BY ?label""")
    codes = select(f"SELECT ?m WHERE {{ {s} <https://w3id.org/sdgkg/ontology#m49Code> ?m }} LIMIT 1")
    code = codes[0]["m"]["value"] if codes else ""
    name = labels_for(select, {subject}).get(subject, subject)
    project = SDGKG_NS + "Project"
    listed = [
        (linker.href(r["p"]["value"]) or r["p"]["value"], r["label"]["value"], r.get("kind", {}).get("value", project))
        for r in rows
    ]
    return {
        "projects": [(href, label) for href, label, kind in listed if kind == project],
        "other": [
            (href, label, KIND_NOUN.get(kind.removeprefix(SDGKG_NS), "work item"))
            for href, label, kind in listed
            if kind != project
        ],
        "map": maps.world_svg({code: 1}, {}, {code: name}, f"{name} on the world map") if code else None,
        "unmapped": bool(code) and code in maps.missing({code}),
    }


def organisation_roles(select, linker: Linker, subject: str) -> list[tuple[str, list[tuple[str, str]]]]:  # noqa: ANN001
    """An organisation's projects by the role it plays in them (lead division, funder, partner, …)."""
    roles = " ".join(f"sdgkg:{r}" for r in ROLES)
    rows = select(f"""PREFIX sdgkg: <https://w3id.org/sdgkg/ontology#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?role ?p (SAMPLE(?l) AS ?label) WHERE {{ VALUES ?role {{ {roles} }} ?p ?role {iri(subject)} ;
          a sdgkg:WorkItem ; rdfs:label ?l }} GROUP BY ?role ?p ORDER BY ?label""")
    names = labels_for(select, {SDGKG_NS + r for r in ROLES})
    by_role: dict[str, list[tuple[str, str]]] = {}
    for r in rows:
        by_role.setdefault(r["role"]["value"], []).append((linker.href(r["p"]["value"]) or "", r["label"]["value"]))
    return [(names.get(SDGKG_NS + r, r), by_role[SDGKG_NS + r]) for r in ROLES if SDGKG_NS + r in by_role]


def _minimum(request: Request) -> float:
    """The ?min= confidence of suggested SDG links to show (default 0.5), clamped to [0, 1]."""
    try:
        return min(max(float(request.query_params.get("min", sdg_views.DEFAULT_MIN)), 0.0), 1.0)
    except ValueError:
        return sdg_views.DEFAULT_MIN


def cached(request: Request, key: str, compute):  # noqa: ANN001, ANN201
    """A value computed once per loaded build (a reload of a new build recomputes it)."""
    state = request.app.state
    generation = getattr(state.backend, "generation", 0)
    store = state.__dict__.setdefault("_cache", {})
    if store.get(key, (None, None))[0] != generation:
        store[key] = (generation, compute())
    return store[key][1]


def home_stats(request: Request) -> dict[str, object]:
    """Figures for the home page (computed once per loaded build)."""
    return cached(request, "home", lambda: _home_stats(request))


def _home_stats(request: Request) -> dict[str, object]:
    state = request.app.state
    select = _select(request)
    one = lambda q: int(select(q)[0]["n"]["value"])  # noqa: E731
    k = "PREFIX sdgkg: <https://w3id.org/sdgkg/ontology#> PREFIX sh: <http://www.w3.org/ns/shacl#> "
    sev = {
        r["s"]["value"].rsplit("#", 1)[1]: int(r["n"]["value"])
        for r in select(
            k + "SELECT ?s (COUNT(?r) AS ?n) WHERE { ?r a sh:ValidationResult ; sh:resultSeverity ?s } GROUP BY ?s"
        )
    }
    build = state.settings.build_dir / "dataset.nq"
    built = (
        dt.datetime.fromtimestamp(build.stat().st_mtime, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        if build.is_file() and not state.settings.store_url
        else "(remote store)"
    )
    return {
        "projects": one(k + "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a sdgkg:Project }"),
        "appearances": one(k + "SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a sdgkg:Appearance }"),
        "sources": one(k + "SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a sdgkg:SourceDocument }"),
        "organisations": one(
            "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?o a <http://www.w3.org/ns/org#Organization> }"
        ),
        "countries": one(k + "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a sdgkg:Country }"),
        "triples": one("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"),
        # Virtuoso answers 0 to GRAPH ?g { } (an empty pattern); a remote store is asked for the triples
        "graphs": one(
            "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { "
            + ("?s ?p ?o" if state.settings.store_url else "")
            + " } FILTER(STRSTARTS(STR(?g), STR(<"
            + _base(request)
            + ">))) }"
        ),
        "violations": sev.get("Violation", 0),
        "warnings": sev.get("Warning", 0),
        "infos": sev.get("Info", 0),
        "built": built,
        "version": __version__,
    }


def budget_chart(request: Request) -> str | None:
    """Budgets by start year (the library's query, so the chart and the API agree), as SVG bars."""
    query = load_library().get("budget-by-start-year")
    if query is None:
        return None
    rows = [
        (r["year"]["value"], float(r["total"]["value"]) if "total" in r else 0.0, _budget_note(r))
        for r in _select(request)(query.bind({}))
    ]
    return bars_svg(rows, "Budgets (USD) by the year projects started", "USD ") if rows else None


def _budget_note(row: dict) -> str:
    known, unknown = int(row["withAmount"]["value"]), int(row["withoutAmount"]["value"])
    return f"({known} with an amount" + (f", {unknown} without" if unknown else "") + ")"


QUALITY_QUERY = """PREFIX dqv: <http://www.w3.org/ns/dqv#> PREFIX sdgkg: <https://w3id.org/sdgkg/ontology#>
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    SELECT ?scope ?metric ?m ?value ?severity ?shape ?shapeName WHERE {
      ?m a dqv:QualityMeasurement ; dqv:computedOn ?scope ; dqv:isMeasurementOf ?metric ; dqv:value ?value .
      FILTER NOT EXISTS { ?m sdgkg:ofRepairRule ?rule }
      OPTIONAL { ?m sdgkg:ofSeverity ?severity }
      OPTIONAL { ?m sdgkg:ofShape ?shape . OPTIONAL { ?shape rdfs:label ?label }
                 BIND(COALESCE(STR(?label), STRAFTER(STR(?shape), "#")) AS ?shapeName) }
    }"""
QUALITY_COLUMNS = [
    ("projectCount", "projects"),
    ("projectsWithBudget", "with a budget"),
    ("projectsWithDates", "with dates"),
    ("projectsWithStatedSdg", "with a stated SDG"),
    ("repairCount", "repairs"),
    ("findingCount:Violation", "violations"),
    ("findingCount:Warning", "warnings"),
    ("findingCount:Info", "infos"),
]
SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}


def _by_severity_then_name(item: tuple[tuple[str, str, str], object]) -> tuple[int, str]:
    (name, severity, _), _row = item
    return SEVERITY_ORDER.get(severity, 3), name


def listing(  # noqa: PLR0913
    title: str, rows: list, noun: str, path: str, headers: list[str], intro: str, tables: list | None = None
) -> HTMLResponse:
    """An index page: a table of rows with links (and more tables below it, each with a caption)."""
    return render(
        "listing.html", title=title, rows=rows, noun=noun, path=path, headers=headers, intro=intro, tables=tables
    )


def index_rdf(request: Request, title: str, members: list[tuple[str, str]]) -> Response | None:
    """An index page asked for as RDF: a hydra:Collection of its members with their labels.

    None when the client prefers HTML, so the caller renders the page; 406 when it takes neither.
    """
    mime = _negotiate(request, RDF_OFFERED)
    if mime == HTML:
        return None
    if mime is None:
        return Response('{"error": "not acceptable", "status": 406}', 406, media_type="application/json")
    members = list(dict(members).items())
    page = ox.NamedNode(str(request.url.remove_query_params("format")))
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    triples = [
        ox.Triple(page, ox.NamedNode(RDF.type), ox.NamedNode(HYDRA + "Collection")),
        ox.Triple(page, label, ox.Literal(title)),
        ox.Triple(page, ox.NamedNode(HYDRA + "totalItems"), ox.Literal(len(members))),
    ]
    for member, name in members:
        triples.append(ox.Triple(page, ox.NamedNode(HYDRA + "member"), ox.NamedNode(member)))
        if name:
            triples.append(ox.Triple(ox.NamedNode(member), label, ox.Literal(name)))
    return _rdf_response(triples, mime)


def _cell(text: str, href: str | None = None) -> dict[str, str | None]:
    return {"text": text, "href": href}


def _checked_iri(value: str | None) -> str | None:
    if not value:
        return None
    try:
        ox.NamedNode(value)
    except ValueError:
        return None
    return value if _SAFE_PATH.match(value.split("://", 1)[-1]) else None


SITEMAP_TYPES = (
    "https://w3id.org/sdgkg/ontology#Project",
    "http://www.w3.org/ns/org#Organization",
    "https://w3id.org/sdgkg/ontology#Country",
    "https://w3id.org/sdgkg/ontology#CountryGroup",
    "https://w3id.org/sdgkg/ontology#SourceDocument",
)


def _sitemap(request: Request) -> str:
    linker, site = Linker(_base(request)), _site(request)
    values = " ".join(f"<{t}>" for t in SITEMAP_TYPES)
    rows = _select(request)(f"SELECT DISTINCT ?s WHERE {{ VALUES ?t {{ {values} }} ?s a ?t }} ORDER BY ?s")
    paths = ["/", "/projects", "/organisations", "/countries", "/sdgs", "/sources", "/quality", "/search", "/query",
             "/ontology"]  # fmt: skip
    for r in rows:
        href = linker.href(r["s"]["value"])
        if href and href.startswith("/") and not href.startswith("/resource"):
            paths.append(href)
    urls = "".join(f"<url><loc>{html.escape(site + p)}</loc></url>\n" for p in dict.fromkeys(paths))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + urls + "</urlset>\n"
    )


def make_router() -> APIRouter:
    """The publication routes (register last: the resource route catches every other path)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    def home(request: Request) -> Response:
        mime = _negotiate(request, RDF_OFFERED)
        if mime and mime != HTML:
            return _rdf_response(void_triples(_void_stats(request), _base(request), _site(request)), mime)
        dumps = (
            file_facts(request.app.state.settings.build_dir, tuple(DUMPS))
            if not request.app.state.settings.store_url
            else []
        )
        return render(
            "home.html",
            title="Home",
            stats=home_stats(request),
            base=_base(request),
            site=_site(request),
            dumps=dumps,
            budgets=cached(request, "budget-chart", lambda: budget_chart(request)),
        )

    def _void_stats(request: Request) -> dict[str, object]:
        return cached(request, "void", lambda: statistics(_select(request), _base(request)))

    def self_description(request: Request, triples: list[ox.Triple], title: str, intro: str) -> Response:
        # RDF by default (crawlers send */*); HTML only when a browser asks for it first
        accept = request.headers.get("accept", "")
        if not request.query_params.get("format") and accept.startswith("text/html"):
            rows = [(str(t.subject.value), str(t.predicate.value), str(t.object.value)) for t in triples]
            alternates = [(m, f"{request.url.path}?format={EXT[m]}") for m in EXT]
            return render("triples.html", title=title, intro=intro, rows=rows, alternates=alternates)
        mime = _negotiate(request, RDF_OFFERED[1:]) or "text/turtle"
        return _rdf_response(triples, mime)

    @router.get("/.well-known/void")
    def void(request: Request) -> Response:
        triples = void_triples(_void_stats(request), _base(request), _site(request))
        return self_description(
            request, triples, "VoID description", "Statistics of the dataset, its partitions and linksets."
        )

    @router.get("/catalog")
    def catalog(request: Request) -> Response:
        settings = request.app.state.settings
        build = None if settings.store_url else settings.build_dir
        base = _base(request)
        triples = dcat_triples(build, base, _site(request)) + quality_triples(_select(request), base)
        return self_description(
            request,
            triples,
            "DCAT catalogue",
            "The dataset, its downloadable distributions, its SPARQL service and its quality measurements (DQV; "
            "per source on /quality).",
        )

    @router.get("/dumps/{name}")
    def dump(request: Request, name: str) -> Response:
        settings = request.app.state.settings
        if name not in DUMPS or settings.store_url or not (settings.build_dir / name).is_file():
            return not_found(f"No dump named {name!r}; the dumps are {', '.join(DUMPS)}.")
        return FileResponse(settings.build_dir / name, media_type=DUMPS[name], filename=name)

    @router.get("/ontology")
    def ontology(request: Request) -> Response:
        mime = _negotiate(request, RDF_OFFERED)
        if mime is None:
            return Response('{"error": "not acceptable", "status": 406}', 406, media_type="application/json")
        if mime == "text/turtle":
            return Response((ONTOLOGY_DIR / "sdgkg.ttl").read_bytes(), media_type=mime, headers={"Vary": "Accept"})
        if mime != HTML:
            triples = list(ox.parse(path=str(ONTOLOGY_DIR / "sdgkg.ttl"), format=ox.RdfFormat.TURTLE))
            return _rdf_response(triples, mime)
        return render(
            "ontology.html", title="Ontology", alternates=[("text/turtle", "/ontology?format=ttl")], **ontology_docs()
        )

    @router.get("/shapes")
    def shapes(request: Request) -> Response:
        """The SHACL shapes the report's sh:sourceShape and sdgkg:nodeShape IRIs point into."""
        mime = _negotiate(request, RDF_OFFERED)
        if mime is None:
            return Response('{"error": "not acceptable", "status": 406}', 406, media_type="application/json")
        triples = shapes_triples()
        if mime != HTML:
            return _rdf_response(triples, mime)
        rows = [
            [_cell(name), _cell(label), _cell(severity), _cell(target), _cell(message)]
            for _anchor, name, label, severity, target, message in shapes_rows()
        ]
        return listing(
            "Shapes",
            rows,
            "constraints",
            "/shapes",
            ["shape", "name", "severity", "applies to", "message"],
            "The SHACL shapes and domain rules the validation report refers to (shapes/ in the repository).",
        )

    @router.get("/query")
    def query_ui(request: Request) -> Response:
        """The YASGUI editor; ``?query=`` opens a shared query."""
        prefixes = "\n".join(f"PREFIX {k}: <{v}>" for k, v in sorted(KG_PREFIXES.items()))
        initial = request.query_params.get("query") or f"{prefixes}\n{DEFAULT_QUERY}"
        prefix_map = dict(sorted(KG_PREFIXES.items()))
        return render("query.html", title="Query", initial=initial, prefix_map=prefix_map, base=_base(request))

    @router.get("/resource")
    def any_resource(request: Request, iri: str = "") -> Response:
        checked = _checked_iri(iri)
        if checked is None:
            return not_found("Give an absolute IRI: /resource?iri=…")
        return resource_page(request, checked)

    @router.get("/projects")
    def projects(request: Request) -> Response:
        return project_index(request)

    @router.get("/organisations")
    def organisations(request: Request) -> Response:
        rows = _select(request)("""PREFIX sdgkg: <https://w3id.org/sdgkg/ontology#>
            PREFIX org: <http://www.w3.org/ns/org#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
            SELECT ?o ?name (SAMPLE(?acr) AS ?acronym) (SAMPLE(?t) AS ?type) (COUNT(DISTINCT ?p) AS ?n)
            WHERE { ?o a org:Organization ; skos:prefLabel ?name . OPTIONAL { ?o sdgkg:acronym ?acr }
              OPTIONAL { ?o a ?t FILTER(STRSTARTS(STR(?t), STR(sdgkg:))) }
              OPTIONAL { ?p sdgkg:involves ?o } } GROUP BY ?o ?name ORDER BY DESC(?n) ?name""")
        rdf = index_rdf(request, "Organisations", [(r["o"]["value"], r["name"]["value"]) for r in rows])
        if rdf is not None:
            return rdf
        linker = Linker(_base(request))
        table = [
            [
                _cell(r["name"]["value"], linker.href(r["o"]["value"])),
                _cell(r.get("acronym", {}).get("value", "")),
                _cell(short(r.get("type", {}).get("value", ""))),
                _cell(r["n"]["value"]),
            ]
            for r in rows
        ]
        return listing(
            "Organisations",
            table,
            "organisations",
            "/organisations",
            ["organisation", "acronym", "type", "projects"],
            "Every organisation the sources name, with the number of projects it has a role in.",
        )

    @router.get("/countries")
    def countries(request: Request) -> Response:
        rows = _select(request)("""PREFIX sdgkg: <https://w3id.org/sdgkg/ontology#>
            PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
            SELECT ?c ?name ?iso3 ?m49 (SAMPLE(?r) AS ?region)
              (GROUP_CONCAT(DISTINCT ?gl; separator=", ") AS ?groups) (COUNT(DISTINCT ?p) AS ?n)
            WHERE { ?c a sdgkg:Country ; skos:prefLabel ?name ; sdgkg:iso3166Alpha3 ?iso3 ; sdgkg:m49Code ?m49 .
              OPTIONAL { ?c sdgkg:partOf ?r . ?r a sdgkg:M49Region FILTER NOT EXISTS { ?r sdgkg:partOf ?up } }
              OPTIONAL { ?c sdgkg:inGroup ?g . BIND(UCASE(REPLACE(STR(?g), "^.*/", "")) AS ?gl) }
              OPTIONAL { ?p sdgkg:focusCountry ?c ; a sdgkg:Project } }
            GROUP BY ?c ?name ?iso3 ?m49 ORDER BY DESC(?n) ?name""")
        rdf = index_rdf(request, "Countries and areas", [(r["c"]["value"], r["name"]["value"]) for r in rows])
        if rdf is not None:
            return rdf
        linker = Linker(_base(request))
        labels = labels_for(_select(request), {r["region"]["value"] for r in rows if "region" in r})
        table = [
            [
                _cell(r["name"]["value"], linker.href(r["c"]["value"])),
                _cell(r["iso3"]["value"]),
                _cell(r["m49"]["value"]),
                _cell(
                    labels.get(r.get("region", {}).get("value", ""), ""),
                    linker.href(r["region"]["value"]) if "region" in r else None,
                ),
                _cell(r.get("groups", {}).get("value", "")),
                _cell(r["n"]["value"]),
            ]
            for r in rows
        ]
        served = {r["m49"]["value"]: int(r["n"]["value"]) for r in rows if r["n"]["value"] != "0"}
        figure = maps.world_svg(
            served,
            {r["m49"]["value"]: linker.href(r["c"]["value"]) or "" for r in rows},
            {r["m49"]["value"]: r["name"]["value"] for r in rows},
            f"Countries served by the projects: {len(served)} countries, shaded by number of projects",
        )
        unmapped = sorted(r["name"]["value"] for r in rows if r["m49"]["value"] in maps.missing(set(served)))
        return render(
            "listing.html",
            title="Countries and areas",
            rows=table,
            noun="countries and areas",
            path="/countries",
            headers=["country or area", "ISO 3166-1", "M49", "region", "groups now", "projects"],
            intro="UN M49 countries and areas with their ISO codes, region and LDC/LLDC/SIDS membership "
            "(LDC membership is dated on each country's page).",
            figure=figure,
            figure_note=("Too small for the map's scale: " + ", ".join(unmapped) + ".") if unmapped else "",
        )

    @router.get("/sdgs")
    def sdgs(request: Request) -> Response:
        minimum = _minimum(request)
        goals, targets = sdg_views.overview(_select(request), minimum)
        concepts = [(g.iri, f"{g.code}. {g.title}") for g in goals]
        concepts += [(t.iri, f"{t.code} {t.title}") for g in goals for t in targets.get(g.iri, [])]
        rdf = index_rdf(request, "Sustainable Development Goals", concepts)
        if rdf is not None:
            return rdf
        return render(
            "sdgs.html",
            title="Sustainable Development Goals",
            goals=goals,
            targets=targets,
            minimum=minimum,
            chart=sdg_views.bar_chart(goals),
            linker=Linker(_base(request)),
        )

    @router.get("/sources")
    def sources(request: Request) -> Response:
        rows = _select(request)("""PREFIX sdgkg: <https://w3id.org/sdgkg/ontology#>
            PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
            SELECT ?d ?title ?file (COUNT(DISTINCT ?a) AS ?n) WHERE { ?d a sdgkg:SourceDocument ;
              sdgkg:fileName ?file ; rdfs:label ?title . OPTIONAL { ?a prov:wasDerivedFrom ?d ; a sdgkg:Appearance } }
            GROUP BY ?d ?title ?file ORDER BY ?file""")
        rdf = index_rdf(request, "Source documents", [(r["d"]["value"], r["title"]["value"]) for r in rows])
        if rdf is not None:
            return rdf
        linker = Linker(_base(request))
        table = [
            [
                _cell(r["title"]["value"], linker.href(r["d"]["value"])),
                _cell(r["file"]["value"]),
                _cell(r["n"]["value"]),
            ]
            for r in rows
        ]
        return listing(
            "Source documents",
            table,
            "source documents",
            "/sources",
            ["document", "file", "project appearances"],
            "The bundled pages the KG was built from; each page lists its project appearances.",
        )

    @router.get("/quality")
    def quality(request: Request) -> Response:
        rows = _select(request)(QUALITY_QUERY)
        scopes: dict[str, dict[str, tuple[str, str]]] = {}
        checks: dict[tuple[str, str, str], dict[str, tuple[str, str]]] = {}
        for r in rows:
            scope, metric, m, value = (r[k]["value"] for k in ("scope", "metric", "m", "value"))
            severity = r["severity"]["value"].rsplit("#", 1)[-1] if "severity" in r else ""
            key = metric.rsplit("#", 1)[-1] + (f":{severity}" if severity else "")
            if "shape" in r:
                row = checks.setdefault((r["shapeName"]["value"], severity, r["shape"]["value"]), {})
                row[scope] = (value, m)
            else:
                scopes.setdefault(scope, {})[key] = (value, m)
        rdf = index_rdf(request, "Quality measurements", [(s, "") for s in scopes])
        if rdf is not None:
            return rdf
        linker = Linker(_base(request))
        order = sorted(scopes, key=lambda s: (not s.endswith("/dataset"), s))
        name = {s: "the dataset" if s.endswith("/dataset") else s.rsplit("/", 1)[-1] for s in order}

        def cell(entry: tuple[str, str] | None, share: bool = False) -> dict[str, str | None]:
            if entry is None:
                return _cell("0")
            text = f"{float(entry[0]):.0%}" if share else entry[0]
            return _cell(text, linker.href(entry[1]))

        table = [
            [_cell(name[s], linker.href(s))]
            + [cell(scopes[s].get(k), share=k.startswith("projectsWith")) for k, _ in QUALITY_COLUMNS]
            for s in order
        ]
        by_check = [
            [_cell(shape_name, linker.href(shape)), _cell(severity)] + [cell(row.get(s)) for s in order]
            for (shape_name, severity, shape), row in sorted(checks.items(), key=_by_severity_then_name)
        ]
        return listing(
            "Quality measurements",
            table,
            "scopes (the dataset and each source document)",
            "/quality",
            ["scope"] + [label for _, label in QUALITY_COLUMNS],
            "W3C DQV measurements computed by the build (graph/quality): the share of projects with a budget, "
            "dates and a stated SDG, repairs made to read the text, and validation findings, for the dataset "
            "and for each source. Each figure links to its dqv:QualityMeasurement.",
            tables=[{"caption": "Findings by check", "headers": ["check", "severity"] + [name[s] for s in order],
                     "rows": by_check}],
        )  # fmt: skip

    @router.get("/robots.txt")
    def robots(request: Request) -> Response:
        """Crawlers may read every page (the sitemap lists them), not run queries."""
        body = f"User-agent: *\nDisallow: /sparql\nDisallow: /api/\nAllow: /\nSitemap: {_site(request)}/sitemap.xml\n"
        return Response(body, media_type="text/plain")

    @router.get("/sitemap.xml")
    def sitemap(request: Request) -> Response:
        """Every index page and every project, organisation, country, group and source page."""
        return Response(cached(request, "sitemap", lambda: _sitemap(request)), media_type="application/xml")

    @router.get("/favicon.ico")
    def favicon() -> Response:
        return RedirectResponse("/static/favicon.svg", status_code=301)

    @router.get("/{path:path}")
    def minted(request: Request, path: str) -> Response:
        canonical = _canonical_project_path(path)
        if canonical != path and _SAFE_PATH.match(canonical):  # /project/1617B, /project/DA1617B: as printed
            query = f"?{request.url.query}" if request.url.query else ""
            return RedirectResponse(f"/{canonical}{query}", status_code=301)
        if not _SAFE_PATH.match(path):
            return not_found(f"There is no page at /{path}.")
        return resource_page(request, _base(request) + path)

    return router


def _canonical_project_path(path: str) -> str:
    """``project/<code as written>`` -> ``project/<key>``; other paths (and IATI identifiers) unchanged."""
    head, _, rest = path.partition("/")
    if head != "project" or not rest or "/" in rest:
        return path
    key = project_key(unquote(rest))
    return f"project/{key}" if key and key != rest else path


def project_index(request: Request) -> Response:
    """All projects, filtered by country, group, SDG goal, organisation, year and status, with counts."""
    q = request.query_params
    filters_sparql = []
    selected = {}
    unknown = []
    for name, pattern in (
        ("country", "?p sdgkg:focusCountry {v} ."),
        ("group", "?p sdgkg:servesArea {v} ."),
        ("sdg", "?p sdgkg:addressesSDG {v} ."),
        ("organisation", "?p sdgkg:involves {v} ."),
        ("status", "?p sdgkg:listedStatus {v} ."),
    ):
        given = q.get(name, "").strip()
        value = _facet_iri(request, name, given) if given else None
        selected[name] = value or ""
        if given and value is None:
            unknown.append(f"no {name} {given!r} in this dataset")
            filters_sparql.append("FILTER(false)")  # an unknown filter value matches nothing, visibly
        elif value:
            filters_sparql.append(pattern.format(v=iri(value)))
    kind_given = q.get("kind", "").strip()
    kind = _kind_iri(kind_given or "project")
    selected["kind"] = kind or ""
    if kind is None:
        unknown.append(f"no kind {kind_given!r}: use one of {', '.join(KINDS)}")
        kind = SDGKG_NS + "Project"
        filters_sparql.append("FILTER(false)")
    year = q.get("year", "")
    selected["year"] = year if year.isdigit() else ""
    if selected["year"]:
        filters_sparql.append(f"""?p sdgkg:timeFrame ?tfy . ?tfy dcat:startDate ?sy .
            OPTIONAL {{ ?tfy dcat:endDate ?ey }}
            FILTER(YEAR(?sy) <= {int(year)} && (!BOUND(?ey) || YEAR(?ey) >= {int(year)}))""")
    prefix = """PREFIX sdgkg: <https://w3id.org/sdgkg/ontology#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        PREFIX schema: <https://schema.org/> PREFIX dcat: <http://www.w3.org/ns/dcat#>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#> """
    where = " ".join(filters_sparql)
    select = _select(request)
    rows = select(
        prefix
        + f"""SELECT ?p ?label (MIN(?s) AS ?start) (MAX(?e) AS ?end)
        (GROUP_CONCAT(DISTINCT ?st; separator=", ") AS ?status) (SAMPLE(?c) AS ?code)
        WHERE {{ ?p a {iri(kind)} ; rdfs:label ?label . {where}
          OPTIONAL {{ ?p schema:startDate ?s }} OPTIONAL {{ ?p schema:endDate ?e }}
          OPTIONAL {{ ?p sdgkg:listedStatus ?sv . ?sv rdfs:label ?st }} OPTIONAL {{ ?p sdgkg:codeAsWritten ?c }} }}
        GROUP BY ?p ?label ORDER BY ?label"""
    )
    rdf = index_rdf(request, "Projects", [(r["p"]["value"], r["label"]["value"]) for r in rows])
    if rdf is not None:
        return rdf
    linker = Linker(_base(request))
    table = [
        [
            _cell(r["label"]["value"], linker.href(r["p"]["value"])),
            _cell(r.get("start", {}).get("value", "")),
            _cell(r.get("end", {}).get("value", "")),
            _cell(r.get("status", {}).get("value", "")),
        ]
        for r in rows
    ]

    def facet(name: str, label: str, pattern: str, label_of: str) -> dict[str, object]:
        opts = select(
            prefix
            + f"""SELECT ?v ?l (COUNT(DISTINCT ?p) AS ?n) WHERE {{
            ?p a {iri(kind)} . {where} {pattern} {label_of} }} GROUP BY ?v ?l ORDER BY DESC(?n) ?l"""
        )
        seen: dict[str, tuple[str, str, int]] = {}
        for o in opts:
            seen.setdefault(o["v"]["value"], (o["v"]["value"], o["l"]["value"], int(o["n"]["value"])))
        return {"name": name, "label": label, "selected": selected[name], "options": list(seen.values())}

    kind_values = " ".join(iri(SDGKG_NS + c) for c in KINDS.values())
    kinds = select(
        prefix
        + f"""SELECT ?v ?l (COUNT(DISTINCT ?p) AS ?n) WHERE {{ VALUES ?v {{ {kind_values} }}
        ?p a ?v . ?v rdfs:label ?l . {where} }} GROUP BY ?v ?l ORDER BY DESC(?n)"""
    )
    filters = [
        {
            "name": "kind",
            "label": "kind of record",
            "selected": selected["kind"],
            "options": [(k["v"]["value"], k["l"]["value"], int(k["n"]["value"])) for k in kinds],
        },
        facet("country", "country", "?p sdgkg:focusCountry ?v .", "?v skos:prefLabel ?l ."),
        facet(
            "group",
            "group or region",
            "?p sdgkg:servesArea ?v . FILTER NOT EXISTS { ?v a sdgkg:Country }",
            "?v skos:prefLabel ?l .",
        ),
        facet(
            "sdg",
            "SDG",
            "?p sdgkg:addressesSDG ?v . ?v a <http://metadata.un.org/sdg/ontology#Goal> .",
            '?v skos:altLabel ?l FILTER(LANG(?l) = "en")',
        ),
        facet("organisation", "organisation", "?p sdgkg:involves ?v .", "?v skos:prefLabel ?l ."),
        facet("status", "listed status", "?p sdgkg:listedStatus ?v .", "?v rdfs:label ?l ."),
    ]
    years = select(
        prefix
        + f"""SELECT ?y (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?p a {iri(kind)} . {where}
        ?p schema:startDate ?s . BIND(YEAR(?s) AS ?y) }} GROUP BY ?y ORDER BY ?y"""
    )
    filters.append(
        {
            "name": "year",
            "label": "active in year",
            "selected": selected["year"],
            "options": [
                (str(y), str(y), "")
                for y in range(min([int(r["y"]["value"]) for r in years] or [2005]), dt.date.today().year + 1)
            ],
        }
    )
    return render(
        "listing.html",
        title="Projects",
        rows=table,
        noun=KIND_NOUNS[kind.rsplit("#", 1)[1]],
        path="/projects",
        filters=filters,
        headers=["project", "start", "end", "listed as"],
        intro="Every project of the sources (other kinds of record: technical-cooperation activities, components, "
        "events, publications, under 'kind of record'); dates are the earliest start and latest end any source "
        "states.",
        notice="; ".join(unknown),
    )


KINDS = {
    "project": "Project",
    "tc-activity": "TechnicalCooperationActivity",
    "component": "ProjectComponent",
    "event": "Event",
    "publication": "Publication",
}


KIND_NOUNS = {
    "Project": "projects",
    "TechnicalCooperationActivity": "technical-cooperation activities",
    "ProjectComponent": "project components",
    "Event": "events",
    "Publication": "publications",
}


KIND_NOUN = {
    "Project": "project",
    "TechnicalCooperationActivity": "technical-cooperation activity",
    "ProjectComponent": "project component",
    "Event": "event",
    "Publication": "publication",
}


def _kind_iri(value: str) -> str | None:
    """``kind=event`` (or the class IRI) -> the class IRI, if it is one of the record kinds."""
    local = KINDS.get(value.lower(), value.rsplit("#", 1)[-1])
    return SDGKG_NS + local if local in KINDS.values() else None


FACET_PLACES = {
    "country": ("{base}country/{upper}",),
    "group": ("{base}group/{lower}", "{base}region/{value}"),
    "sdg": ("http://metadata.un.org/sdg/{value}",),
    "organisation": ("{base}organisation/{value}", "{base}organisation/{lower}"),
    "status": ("https://w3id.org/sdgkg/ontology#{title}",),
}


def _facet_iri(request: Request, name: str, value: str) -> str | None:
    """A filter value as an IRI the dataset knows, or None.

    A full IRI, or the short form people type: ``country=BTN``, ``group=ldc``, ``sdg=16`` or
    ``16.6``, ``status=current``.
    """
    if "://" in value:
        candidates = [value]
    else:
        fill = {"base": _base(request), "value": value, "upper": value.upper(), "lower": value.lower(),
                "title": value.title()}  # fmt: skip
        candidates = [c.format(**fill) for c in FACET_PLACES[name]]
    for candidate in candidates:
        checked = _checked_iri(candidate)
        if checked and _known(request, checked):
            return checked
    return None


@cache
def ontology_docs() -> dict[str, object]:
    """Classes, properties and controlled values of the ontology, for its HTML documentation."""
    g = Graph()
    g.parse(ONTOLOGY_DIR / "sdgkg.ttl", format="turtle")
    ns = "https://w3id.org/sdgkg/ontology#"
    onto = next(g.subjects(RDF.type, OWL.Ontology))

    def name(x: object) -> str:
        text = str(x)
        return text.removeprefix(ns) if text.startswith(ns) else g.namespace_manager.normalizeUri(x)  # type: ignore[arg-type]

    def term(x: object, kind: str = "") -> dict[str, object]:
        return {
            "name": name(x),
            "label": str(g.value(x, RDFS.label) or name(x)),  # type: ignore[arg-type]
            "definition": str(g.value(x, SKOS.definition) or ""),
            "kind": kind,  # type: ignore[arg-type]
            "parents": [name(p) for p in g.objects(x, RDFS.subClassOf)]  # type: ignore[arg-type]
            + [name(p) for p in g.objects(x, RDFS.subPropertyOf)],  # type: ignore[arg-type]
            "domain": ", ".join(name(d) for d in g.objects(x, RDFS.domain)),  # type: ignore[arg-type]
            "range": ", ".join(name(r) for r in g.objects(x, RDFS.range)),
        }  # type: ignore[arg-type]

    mine = lambda xs: sorted({x for x in xs if str(x).startswith(ns)}, key=str)  # noqa: E731
    classes = [term(c) for c in mine(g.subjects(RDF.type, OWL.Class))]
    properties = [term(p, "object property") for p in mine(g.subjects(RDF.type, OWL.ObjectProperty))] + [
        term(p, "datatype property") for p in mine(g.subjects(RDF.type, OWL.DatatypeProperty))
    ]
    properties.sort(key=lambda t: str(t["name"]))
    individuals = [term(i) for i in mine(g.subjects(RDF.type, SKOS.Concept))]
    meta = {
        "iri": str(onto),
        "title": str(g.value(onto, DCTERMS.title) or "sdgkg ontology"),
        "version": str(g.value(onto, OWL.versionInfo) or ""),
        "description": str(g.value(onto, DCTERMS.description) or ""),
        "license": str(g.value(onto, DCTERMS.license) or ""),
    }
    return {"meta": meta, "classes": classes, "properties": properties, "individuals": individuals}


@cache
def _shapes_graph() -> Graph:
    from kg.quality.validate import load_shapes

    return load_shapes()


def shapes_triples() -> list[ox.Triple]:
    """The bundled shapes as pyoxigraph triples (blank nodes kept: they are the property shapes)."""
    from kg.graph.terms import to_ox

    return [ox.Triple(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in _shapes_graph()]  # type: ignore[arg-type]


def shapes_rows() -> list[tuple[str, str, str, str, str, str]]:
    """One row per node or property shape: anchor, shape, label, severity, target, message."""
    from rdflib.namespace import SH

    from kg.quality.validate import shape_iri

    g = _shapes_graph()
    rows = []
    for node in sorted(set(g.subjects(RDF.type, SH.NodeShape)), key=str):
        target = ", ".join(
            str(t).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
            for p in (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode)
            for t in g.objects(node, p)
        )
        for shape in [node, *g.objects(node, SH.property)]:
            iri = str(shape_iri(g, shape)[0])  # type: ignore[arg-type]
            messages = [str(m) for c in [shape, *g.objects(shape, SH.sparql)] for m in g.objects(c, SH.message)]
            severity = g.value(shape, SH.severity) or g.value(node, SH.severity) or SH.Violation
            label = g.value(shape, RDFS.label) or g.value(shape, SH.name) or ""
            rows.append((iri.rsplit("#", 1)[-1], iri.rsplit("/", 1)[-1], str(label),
                         str(severity).rsplit("#", 1)[-1], target, " ".join(messages)))  # fmt: skip
    return rows
