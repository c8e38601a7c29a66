"""The SPARQL query router (SPARQL 1.1 Protocol, query side)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

import pyoxigraph as ox
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from kg.store import query as run_query

RESULT_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


def _pick(accept: str, offered: dict[str, object]) -> str | None:
    """The first offered type the Accept header allows, by q-value (ties keep our order)."""
    if not accept.strip():
        return next(iter(offered))
    ranges: list[tuple[float, str]] = []
    for part in accept.split(","):
        media, *params = (x.strip() for x in part.split(";"))
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        ranges.append((q, media.lower()))
    best: tuple[float, str] | None = None
    for mime in offered:
        for q, media in ranges:
            if q > 0 and (media in (mime, "*/*") or media == mime.split("/")[0] + "/*"):
                if best is None or q > best[0]:
                    best = (q, mime)
    return best[1] if best else None


def _evaluate(store: ox.Store, sparql: str, accept: str) -> tuple[int, bytes, str]:
    """Run the query and serialise it in the negotiated format: (status, body, media type)."""
    result = run_query(store, sparql)
    if isinstance(result, ox.QueryTriples):
        mime = _pick(accept, GRAPH_TYPES)
        if mime is None:
            return 406, f"cannot answer a graph as {accept!r}; try text/turtle".encode(), ""
        return 200, result.serialize(format=GRAPH_TYPES[mime]) or b"", mime
    mime = _pick(accept, RESULT_TYPES)
    if mime is None:
        message = f"cannot answer results as {accept!r}; try application/sparql-results+json"
        return 406, message.encode(), ""
    return 200, result.serialize(format=RESULT_TYPES[mime]) or b"", mime


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def make_router() -> APIRouter:
    """The /sparql routes; the store comes from ``request.app.state.store``."""
    router = APIRouter()

    async def answer(request: Request, sparql: str | None) -> Response:
        if not sparql:
            return _error(400, "missing 'query' parameter")
        store = request.app.state.store
        accept = request.headers.get("accept", "")
        try:
            # pyoxigraph results must be read in the thread that made them: evaluate and
            # serialise in one worker call.
            status, body, mime = await run_in_threadpool(_evaluate, store, sparql, accept)
        except SyntaxError as exc:
            return _error(400, f"malformed query: {exc}")
        except (OSError, ValueError, RuntimeError) as exc:
            return _error(500, f"query failed: {exc}")
        if status != 200:
            return _error(status, body.decode())
        return Response(body, media_type=mime, headers={"Vary": "Accept"})

    @router.get("/sparql")
    async def sparql_get(request: Request, query: Annotated[str | None, Query()] = None) -> Response:
        """SPARQL query by GET ``?query=``."""
        return await answer(request, query)

    @router.post("/sparql")
    async def sparql_post(request: Request) -> Response:
        """SPARQL query by POST, form-encoded or ``application/sparql-query``."""
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype == "application/sparql-query":
            return await answer(request, (await request.body()).decode("utf-8"))
        if ctype == "application/x-www-form-urlencoded":
            form = parse_qs((await request.body()).decode("utf-8"), keep_blank_values=True)
            return await answer(request, form.get("query", [None])[0])
        return _error(415, "POST a form ('query=…') or an application/sparql-query body")

    return router
