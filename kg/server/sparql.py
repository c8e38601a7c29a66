"""SPARQL 1.1 Protocol (query and update) and Graph Store Protocol (reads; writes with a token).

The router only parses HTTP and checks limits; evaluation happens in the backend (killable
worker processes or a remote store). Every error is a JSON body ``{"error", "status"}``.
"""

from __future__ import annotations

import json
import secrets
from typing import Any
from urllib.parse import parse_qsl

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from kg.server import params, results
from kg.server.guard import (
    Refusal,
    ServiceChecker,
    ServicePolicy,
    apply_using,
    check_rdf_body,
    check_size,
    mentions_service,
)
from kg.server.settings import Settings
from kg.server.workers import RETRY_AFTER, Answer, Job

SD = "http://www.w3.org/ns/sparql-service-description#"
FORM = "application/x-www-form-urlencoded"


def json_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """The JSON error every limit and failure answers with."""
    body = json.dumps({"error": message, "status": status})
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def answer_response(a: Answer) -> Response:
    """A backend answer as an HTTP response (503s tell the client when to retry)."""
    headers = {"Vary": "Accept"} if a.status < 400 else None
    if a.status == 503:
        headers = {"Retry-After": str(RETRY_AFTER)}
    return Response(a.body, status_code=a.status, media_type=a.media_type, headers=headers)


async def run_query(backend: Any, job: Job, *, timeout: float, wait: float) -> Answer:
    """A read on the backend: on the event loop when it can wait without a thread, else in one."""
    run_async = getattr(backend, "run_async", None)
    if run_async is not None:
        return await run_async(job, timeout=timeout, wait=wait)
    return await run_in_threadpool(backend.run, job, timeout=timeout, wait=wait)


async def check_services_off_loop(request: Request, query: str, timeout: float) -> None:
    """The SERVICE check, in a child process bounded by the query's timeout (never on the event loop)."""
    if not mentions_service(query):
        return
    settings: Settings = request.app.state.settings
    checker: ServiceChecker = request.app.state.service_checker
    await run_in_threadpool(checker.check, query, ServicePolicy.of(settings), min(timeout, 30.0))


async def _body(request: Request, settings: Settings) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.max_body:
        raise Refusal(413, f"request body of {declared} bytes; the limit is {settings.max_body}")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > settings.max_body:
            raise Refusal(413, f"request body over the {settings.max_body} byte limit")
    return body


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refusal(400, f"the request body is not UTF-8 (byte {exc.start})") from exc


def _authorised(request: Request, settings: Settings) -> Response | None:
    """None when the request may write; else the 401/403 answer."""
    if not settings.admin_token:
        return json_error(403, "this endpoint is read-only (no admin token is configured)")
    token = params.bearer(request.headers.get("authorization"))
    if token is None:
        return json_error(
            401,
            "writes need 'Authorization: Bearer <admin token>'",
            {"WWW-Authenticate": 'Bearer realm="sdgkg"'},
        )
    if not secrets.compare_digest(token, settings.admin_token.encode("utf-8")):
        return json_error(403, "wrong admin token")
    return None


def service_description(request: Request, settings: Settings, accept: str | None, fmt: str | None) -> Response:
    """The sd:Service description of this endpoint, as RDF."""
    endpoint = str(request.url.replace(query=""))
    s = ox.NamedNode(endpoint + "#service")
    sd = lambda t: ox.NamedNode(SD + t)  # noqa: E731
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    fmt_iri = "http://www.w3.org/ns/formats/"
    dataset, graph = ox.BlankNode("dataset"), ox.BlankNode("default")
    default = (
        "The default graph is the union of all named graphs (each triple once). "
        if settings.union_default_graph
        else "The default graph is empty: use GRAPH or FROM. "
    )
    about = (
        f"{default}Queries time out after {settings.timeout:g} s (at most {settings.max_timeout:g} s with "
        f"?timeout=); at most {settings.max_rows} result rows. SERVICE is limited to: "
        + (", ".join(settings.service_allow) or "no endpoint")
        + "."
    )
    triples = [
        ox.Triple(s, rdf_type, sd("Service")),
        ox.Triple(s, sd("endpoint"), ox.NamedNode(endpoint)),
        ox.Triple(s, sd("supportedLanguage"), sd("SPARQL11Query")),
        *([ox.Triple(s, sd("feature"), sd("UnionDefaultGraph"))] if settings.union_default_graph else []),
        ox.Triple(s, sd("feature"), sd("BasicFederatedQuery")),
        ox.Triple(s, sd("defaultDataset"), dataset),
        ox.Triple(dataset, rdf_type, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), graph),
        ox.Triple(graph, rdf_type, sd("Graph")),
        ox.Triple(s, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"), ox.Literal(about)),
    ]
    if settings.admin_token:
        triples.append(ox.Triple(s, sd("supportedLanguage"), sd("SPARQL11Update")))
    for f in (
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "JSON-LD",
        "RDF_XML",
    ):
        triples.append(ox.Triple(s, sd("resultFormat"), ox.NamedNode(fmt_iri + f)))
    try:
        mime = results.negotiate(accept, list(results.GRAPH_TYPES)[:4], fmt)
    except results.NotAcceptable as exc:
        return json_error(406, str(exc))
    body = ox.serialize(
        triples,
        format=results.GRAPH_TYPES[mime],
        prefixes={"sd": SD, "rdfs": "http://www.w3.org/2000/01/rdf-schema#"} if mime == "text/turtle" else None,
    )
    return Response(body, media_type=mime, headers={"Vary": "Accept"})


def _param(name: str, description: str, schema: dict | None = None, array: bool = False) -> dict:
    schema = schema or {"type": "string"}
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "array", "items": schema} if array else schema,
        **({"explode": True} if array else {}),
    }


_IRI = {"type": "string", "format": "uri"}
FORMATS = sorted(results.FORMAT_ALIASES)
QUERY_PARAMETERS = [
    _param("query", "A SPARQL 1.1 query; without it GET answers the service description."),
    _param("default-graph-uri", "A graph of the query's default graph (repeatable).", _IRI, array=True),
    _param("named-graph-uri", "A graph the query may name with GRAPH (repeatable).", _IRI, array=True),
    _param("format", "Result format, overriding Accept.", {"type": "string", "enum": FORMATS}),
    _param("timeout", "Seconds before the query is stopped (capped by the server's maximum).", {"type": "number"}),
]
STORE_PARAMETERS = [
    _param("graph", "The graph's IRI.", _IRI),
    _param("default", "The default graph (a flag: ?default).", {"type": "string", "enum": [""]}),
]
_RDF_MEDIA = ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"]
RESULTS_200 = {
    "description": "SELECT/ASK results, or the RDF of a CONSTRUCT/DESCRIBE",
    "content": {m: {} for m in [*results.SELECT_TYPES, *_RDF_MEDIA]},
}
GRAPH_200 = {"description": "The graph's triples", "content": {m: {} for m in _RDF_MEDIA}}
WRITTEN = {"description": "Written"}
RDF_BODY = {"required": True, "content": {m: {"schema": {"type": "string"}} for m in _RDF_MEDIA}}
SPARQL_BODY = {
    "required": True,
    "content": {
        FORM: {"schema": {"type": "object", "properties": {"query": {"type": "string"}, "update": {"type": "string"}}}},
        "application/sparql-query": {"schema": {"type": "string"}},
        "application/sparql-update": {"schema": {"type": "string"}},
    },
}
_ERROR_BODY = {
    "application/json": {
        "schema": {
            "type": "object",
            "properties": {"error": {"type": "string"}, "status": {"type": "integer"}},
            "required": ["error", "status"],
        }
    }
}
ERROR_RESPONSES: dict[int | str, dict] = {
    code: {"description": text, "content": _ERROR_BODY}
    for code, text in (
        (400, "Malformed query or parameter (the message names it, with line:column for syntax errors)"),
        (401, "Credentials are needed (updates and Graph Store writes)"),
        (403, "Refused: no admin token, or a SERVICE endpoint not on the allow-list"),
        (404, "No such graph"),
        (406, "No acceptable result format"),
        (413, "The request body, the query or the result is over its limit"),
        (415, "Unsupported request body type"),
        (503, "Every worker is busy (see Retry-After)"),
        (504, "The query ran past its timeout"),
    )
}


async def _dispatch(request: Request, given: list[tuple[str, str]], query: str | None, update: str | None) -> Response:
    settings: Settings = request.app.state.settings
    backend = request.app.state.backend
    accept = request.headers.get("accept")
    fmt = params.one(given, "format")
    timeout = params.timeout(params.one(given, "timeout"), settings)
    if query is not None and update is not None:
        raise Refusal(400, "a request carries either a query or an update, not both")
    if update is not None:
        denied = _authorised(request, settings)
        if denied:
            return denied
        check_size(update, settings)
        update = apply_using(update, params.iris(given, "using-graph-uri"), params.iris(given, "using-named-graph-uri"))
        job = Job("update", update, base_iri=str(request.url.replace(query="")), policy=ServicePolicy.of(settings))
        answer = await run_in_threadpool(backend.update, job, timeout=timeout, wait=settings.queue_timeout)
        return answer_response(answer)
    if query is None:
        if params.one(given, "graph") is not None or any(k == "default" for k, _ in given):
            return await _graph_store(request, given)
        if request.method == "GET" and not fmt and (accept or "").startswith("text/html"):
            return RedirectResponse("/query", status_code=303)  # a browser: the query editor, not raw Turtle
        return service_description(request, settings, accept, fmt)
    check_size(query, settings)
    job = Job(
        "query",
        query,
        accept=accept,
        fmt=fmt,
        default_graphs=params.iris(given, "default-graph-uri"),
        named_graphs=params.iris(given, "named-graph-uri"),
        max_rows=settings.max_rows,
        base_iri=str(request.url.replace(query="")),
    )
    await check_services_off_loop(request, query, timeout)
    answer = await run_query(backend, job, timeout=timeout, wait=settings.queue_timeout)
    return answer_response(answer)


async def handle(request: Request) -> Response:
    """Every /sparql request: query, update, service description or indirect Graph Store read."""
    try:
        given = parse_qsl(request.url.query, keep_blank_values=True)
        if request.method in ("GET", "HEAD"):
            if params.one(given, "update") is not None:
                raise Refusal(400, "updates must be sent by POST")
            return await _dispatch(request, given, params.one(given, "query"), None)
        settings: Settings = request.app.state.settings
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = await _body(request, settings)
        if ctype == FORM:
            form = parse_qsl(_decode(body), keep_blank_values=True)
            merged = given + form
            return await _dispatch(request, merged, params.one(form, "query"), params.one(form, "update"))
        if ctype == "application/sparql-query":
            return await _dispatch(request, given, _decode(body), None)
        if ctype == "application/sparql-update":
            return await _dispatch(request, given, None, _decode(body))
        raise Refusal(
            415,
            "POST a form (query=… or update=…), application/sparql-query or application/sparql-update",
        )
    except Refusal as r:
        return json_error(r.status, r.message)


async def _graph_store(request: Request, given: list[tuple[str, str]]) -> Response:
    settings: Settings = request.app.state.settings
    backend = request.app.state.backend
    raw = params.one(given, "graph")
    # a read naming no graph reads the default graph, as Fuseki and the protocol's indirect IRIs do
    default = any(k == "default" for k, _ in given) or (raw is None and request.method in ("GET", "HEAD"))
    if (raw is None) == (not default):
        raise Refusal(400, "name exactly one of ?graph=<IRI> or ?default")
    graph = None if default else params.iri(raw, "graph")  # type: ignore[arg-type]
    if request.method in ("GET", "HEAD"):
        job = Job("graph", graph=graph, accept=request.headers.get("accept"), fmt=params.one(given, "format"))
        answer = await run_query(backend, job, timeout=settings.timeout, wait=settings.queue_timeout)
        return answer_response(answer)
    denied = _authorised(request, settings)
    if denied:
        return denied
    if default and settings.union_default_graph:
        raise Refusal(
            400,
            "the default graph is the union of the named graphs here: write a named graph (?graph=IRI), "
            "or serve with --default-graph empty",
        )
    if request.method == "DELETE":
        job = Job("drop", graph=graph)
    else:
        ctype = request.headers.get("content-type", "text/turtle").split(";")[0].strip().lower()
        if ctype not in results.GRAPH_TYPES:
            raise Refusal(415, f"cannot read {ctype!r}; send Turtle, N-Triples, JSON-LD or RDF/XML")
        body = await _body(request, settings)
        check_rdf_body(body, ctype)
        job = Job("load", graph=graph, body=body, content_type=ctype, replace=request.method == "PUT")
    answer = await run_in_threadpool(backend.update, job, timeout=settings.max_timeout, wait=settings.queue_timeout)
    return answer_response(answer)


def make_router() -> APIRouter:
    """The /sparql and /store routes; settings and backend come from ``app.state``."""
    router = APIRouter()

    @router.get(
        "/sparql",
        summary="SPARQL 1.1 query (GET)",
        operation_id="sparql_query_get",
        response_class=Response,
        responses=ERROR_RESPONSES,
        openapi_extra={"parameters": QUERY_PARAMETERS, "responses": {"200": RESULTS_200}},
    )
    async def sparql_get(request: Request) -> Response:
        """SPARQL 1.1 Protocol query by GET; without ``query``, the service description."""
        return await handle(request)

    @router.post(
        "/sparql",
        summary="SPARQL 1.1 query or update (POST)",
        operation_id="sparql_query_or_update_post",
        response_class=Response,
        responses=ERROR_RESPONSES,
        openapi_extra={
            "parameters": QUERY_PARAMETERS[1:],
            "requestBody": SPARQL_BODY,
            "responses": {"200": RESULTS_200, "204": {"description": "update applied"}},
        },
    )
    async def sparql_post(request: Request) -> Response:
        """A form (``query=`` or ``update=``), ``application/sparql-query`` or ``application/sparql-update``."""
        return await handle(request)

    @router.head("/sparql", include_in_schema=False)
    async def sparql_head(request: Request) -> Response:
        return await handle(request)

    @router.api_route("/sparql", methods=["PUT", "DELETE", "PATCH"], include_in_schema=False)
    async def sparql_bad_method(request: Request) -> Response:
        return json_error(
            405,
            f"{request.method} is not a SPARQL Protocol method; use GET or POST",
            {"Allow": "GET, POST, HEAD"},
        )

    async def store(request: Request) -> Response:
        """Graph Store Protocol: ?graph=<IRI> or ?default. Reads are public; writes need the admin token."""
        try:
            return await _graph_store(request, parse_qsl(request.url.query, keep_blank_values=True))
        except Refusal as r:
            return json_error(r.status, r.message)

    for method, summary, extra in (
        ("GET", "Read a graph (no parameter: the default graph)", {"responses": {"200": GRAPH_200}}),
        ("PUT", "Replace a graph (admin token)", {"requestBody": RDF_BODY, "responses": {"204": WRITTEN}}),
        ("POST", "Add to a graph (admin token)", {"requestBody": RDF_BODY, "responses": {"204": WRITTEN}}),
        ("DELETE", "Drop a graph (admin token)", {"responses": {"204": WRITTEN}}),
    ):
        router.add_api_route(
            "/store",
            store,
            methods=[method],
            summary=f"SPARQL 1.1 Graph Store Protocol: {summary}",
            operation_id=f"store_{method.lower()}",
            response_class=Response,
            responses=ERROR_RESPONSES,
            openapi_extra={"parameters": STORE_PARAMETERS, **extra},
        )
    router.add_api_route("/store", store, methods=["HEAD"], include_in_schema=False)

    return router
