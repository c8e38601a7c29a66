"""SPARQL 1.1 Protocol (query and update) and Graph Store Protocol (reads; writes with a token).

The router only parses HTTP and checks limits; evaluation happens in the backend (killable
worker processes or a remote store). Every error is a JSON body ``{"error", "status"}``.
"""

from __future__ import annotations

import json
import secrets
from urllib.parse import parse_qsl

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from kg import results
from kg.guard import Refusal, apply_using, check_services, check_size
from kg.settings import Settings
from kg.workers import Answer, Job

SD = "http://www.w3.org/ns/sparql-service-description#"
FORM = "application/x-www-form-urlencoded"


def json_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """The JSON error every limit and failure answers with."""
    body = json.dumps({"error": message, "status": status})
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def _answer(a: Answer) -> Response:
    headers = {"Vary": "Accept"} if a.status < 400 else None
    return Response(a.body, status_code=a.status, media_type=a.media_type, headers=headers)


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


def _one(params: list[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in params if k == name]
    if name == "format":  # SPARQLWrapper repeats format= (as 'json' and as a media type): first wins
        values = values[:1]
    if len(values) > 1:
        raise Refusal(400, f"more than one '{name}' parameter")
    return values[0] if values else None


def _timeout(params: list[tuple[str, str]], settings: Settings) -> float:
    raw = _one(params, "timeout")
    if raw is None:
        return settings.timeout
    try:
        value = float(raw)
    except ValueError:
        raise Refusal(400, f"timeout must be a number of seconds, not {raw!r}") from None
    if value <= 0:
        raise Refusal(400, "timeout must be positive")
    return min(value, settings.max_timeout)


def _authorised(request: Request, settings: Settings) -> Response | None:
    """None when the request may write; else the 401/403 answer."""
    if not settings.admin_token:
        return json_error(403, "this endpoint is read-only (no admin token is configured)")
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        return json_error(
            401,
            "writes need 'Authorization: Bearer <admin token>'",
            {"WWW-Authenticate": 'Bearer realm="sdgkg"'},
        )
    if not secrets.compare_digest(auth[7:].strip(), settings.admin_token):
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


def make_router() -> APIRouter:
    """The /sparql and /store routes; settings and backend come from ``app.state``."""
    router = APIRouter()

    async def dispatch(
        request: Request, params: list[tuple[str, str]], query: str | None, update: str | None
    ) -> Response:
        settings: Settings = request.app.state.settings
        backend = request.app.state.backend
        accept = request.headers.get("accept")
        fmt = _one(params, "format")
        timeout = _timeout(params, settings)
        if query is not None and update is not None:
            raise Refusal(400, "a request carries either a query or an update, not both")
        if update is not None:
            denied = _authorised(request, settings)
            if denied:
                return denied
            check_size(update, settings)
            update = apply_using(
                update,
                [v for k, v in params if k == "using-graph-uri"],
                [v for k, v in params if k == "using-named-graph-uri"],
            )
            answer = await run_in_threadpool(
                backend.update,
                update,
                timeout=timeout,
                wait=settings.queue_timeout,
                base_iri=str(request.url.replace(query="")),
            )
            return _answer(answer)
        if query is None:
            if _one(params, "graph") is not None or any(k == "default" for k, _ in params):
                return await graph_store(request, params)
            return service_description(request, settings, accept, fmt)
        check_size(query, settings)
        check_services(query, settings)
        job = Job(
            "query",
            query,
            accept=accept,
            fmt=fmt,
            default_graphs=[v for k, v in params if k == "default-graph-uri"],
            named_graphs=[v for k, v in params if k == "named-graph-uri"],
            max_rows=settings.max_rows,
            base_iri=str(request.url.replace(query="")),
        )
        answer = await run_in_threadpool(backend.run, job, timeout=timeout, wait=settings.queue_timeout)
        return _answer(answer)

    async def handle(request: Request) -> Response:
        try:
            params = parse_qsl(request.url.query, keep_blank_values=True)
            if request.method in ("GET", "HEAD"):
                if _one(params, "update") is not None:
                    raise Refusal(400, "updates must be sent by POST")
                return await dispatch(request, params, _one(params, "query"), None)
            settings: Settings = request.app.state.settings
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            body = await _body(request, settings)
            if ctype == FORM:
                form = parse_qsl(_decode(body), keep_blank_values=True)
                merged = params + form
                return await dispatch(request, merged, _one(form, "query"), _one(form, "update"))
            if ctype == "application/sparql-query":
                return await dispatch(request, params, _decode(body), None)
            if ctype == "application/sparql-update":
                return await dispatch(request, params, None, _decode(body))
            raise Refusal(
                415,
                "POST a form (query=… or update=…), application/sparql-query or application/sparql-update",
            )
        except Refusal as r:
            return json_error(r.status, r.message)

    @router.api_route("/sparql", methods=["GET", "POST", "HEAD"], summary="SPARQL 1.1 query and update")
    async def sparql(request: Request) -> Response:
        """SPARQL 1.1 Protocol endpoint: GET ?query=, POST form or direct; service description without a query."""
        return await handle(request)

    @router.api_route("/sparql", methods=["PUT", "DELETE", "PATCH"], include_in_schema=False)
    async def sparql_bad_method(request: Request) -> Response:
        return json_error(
            405,
            f"{request.method} is not a SPARQL Protocol method; use GET or POST",
            {"Allow": "GET, POST, HEAD"},
        )

    async def graph_store(request: Request, params: list[tuple[str, str]]) -> Response:
        settings: Settings = request.app.state.settings
        graph = _one(params, "graph")
        default = any(k == "default" for k, _ in params)
        if (graph is None) == (not default):
            raise Refusal(400, "name exactly one of ?graph=<IRI> or ?default")
        target = "DEFAULT" if default else f"GRAPH <{graph}>"
        if request.method in ("GET", "HEAD"):
            where = "{ ?s ?p ?o }" if default else f"{{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
            if not default:
                exists = await run_in_threadpool(
                    request.app.state.backend.run,
                    Job("query", f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", fmt="json"),
                    timeout=settings.timeout,
                    wait=settings.queue_timeout,
                )
                if exists.status == 200 and b"false" in exists.body:
                    return json_error(404, f"no graph <{graph}> in this dataset")
            job = Job(
                "query",
                f"CONSTRUCT {{ ?s ?p ?o }} WHERE {where}",
                accept=request.headers.get("accept"),
                fmt=_one(params, "format"),
                max_rows=10**9,
            )
            answer = await run_in_threadpool(
                request.app.state.backend.run, job, timeout=settings.timeout, wait=settings.queue_timeout
            )
            return _answer(answer)
        denied = _authorised(request, settings)
        if denied:
            return denied
        if request.method == "DELETE":
            update = f"DROP {target}" if not default else "DROP DEFAULT"
        else:
            ctype = request.headers.get("content-type", "text/turtle").split(";")[0].strip().lower()
            fmt = results.GRAPH_TYPES.get(ctype)
            if fmt is None:
                raise Refusal(415, f"cannot read {ctype!r}; send Turtle, N-Triples, JSON-LD or RDF/XML")
            try:
                triples = list(ox.parse(await _body(request, settings), format=fmt))
            except SyntaxError as exc:
                raise Refusal(400, f"cannot parse the {ctype} body: {exc}") from exc
            data = ox.serialize(
                [ox.Triple(t.subject, t.predicate, t.object) for t in triples], format=ox.RdfFormat.N_TRIPLES
            ).decode()
            inner = data if default else f"GRAPH <{graph}> {{ {data} }}"
            clear = f"DROP SILENT {target} ; " if request.method == "PUT" else ""
            update = f"{clear}INSERT DATA {{ {inner} }}"
        answer = await run_in_threadpool(
            request.app.state.backend.update,
            update,
            timeout=settings.max_timeout,
            wait=settings.queue_timeout,
        )
        return _answer(answer)

    @router.api_route(
        "/store", methods=["GET", "HEAD", "PUT", "POST", "DELETE"], summary="SPARQL 1.1 Graph Store Protocol"
    )
    async def store(request: Request) -> Response:
        """Graph Store Protocol: ?graph=<IRI> or ?default. Reads are public; writes need the admin token."""
        try:
            return await graph_store(request, parse_qsl(request.url.query, keep_blank_values=True))
        except Refusal as r:
            return json_error(r.status, r.message)

    return router
