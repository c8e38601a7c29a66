"""REST API over the competency-query library: one documented route per query (grlc-style).

``GET /api/queries`` lists the queries; ``GET /api/queries/{name}?param=value`` runs one, with
its parameters typed and validated from the query's header and bound safely (see kg.server.queries).
Results come as JSON or CSV by ``Accept`` or ``?format=``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from kg.server.guard import Refusal, check_size
from kg.server.queries import NamedQuery, ParameterError, load_library
from kg.server.settings import Settings
from kg.server.sparql import ERROR_RESPONSES, answer_response, check_services_off_loop, json_error
from kg.server.workers import Job

OPENAPI_TYPES = {
    "iri": {"type": "string", "format": "uri"},
    "endpoint": {"type": "string", "format": "uri"},
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "decimal": {"type": "number"},
    "date": {"type": "string", "format": "date"},
    "boolean": {"type": "boolean"},
    "links": {"type": "string", "enum": ["stated", "suggested", "both"]},
}
RESULT_MEDIA = ["application/sparql-results+json", "text/csv"]


def _default(kind: str, value: str | None) -> dict[str, object]:
    """A parameter's default as the JSON value its OpenAPI type says (the header holds text)."""
    if value is None:
        return {}
    cast = {"integer": int, "decimal": float, "boolean": lambda v: v.lower() == "true"}.get(kind, str)
    return {"default": cast(value)}


def describe(q: NamedQuery, base: str = "") -> dict[str, Any]:
    """A query's public description."""
    return {
        "name": q.name,
        "title": q.title,
        "description": q.description,
        "parameters": [
            {"name": p.name, "type": p.type, "default": p.default, "description": p.description} for p in q.parameters
        ],
        "needs": list(q.needs),
        "url": f"{base}/api/queries/{q.name}",
        "sparql": q.text,
    }


async def run_named(request: Request, q: NamedQuery, values: dict[str, str], fmt: str | None) -> Response:
    """Bind, check and run a named query; errors are JSON."""
    settings: Settings = request.app.state.settings
    try:
        text = q.bind(values)
        check_size(text, settings)
        await check_services_off_loop(request, text, settings.timeout)
    except ParameterError as exc:
        return json_error(400, str(exc))
    except Refusal as r:
        return json_error(r.status, r.message)
    accept = request.headers.get("accept") or "application/sparql-results+json"
    if "text/html" in accept and not fmt:
        accept = "application/sparql-results+json"
    job = Job("query", text, accept=accept, fmt=fmt, max_rows=settings.max_rows)
    answer = await run_in_threadpool(
        request.app.state.backend.run, job, timeout=settings.timeout, wait=settings.queue_timeout
    )
    return answer_response(answer)


def make_router(library: dict[str, NamedQuery] | None = None) -> APIRouter:
    """Routes for the library; each query gets its own OpenAPI operation."""
    library = library if library is not None else load_library()
    router = APIRouter(prefix="/api", tags=["competency queries"])

    @router.get("/queries", summary="List the competency queries")
    def list_queries(request: Request) -> JSONResponse:
        """Every query with its title, description, parameters and SPARQL."""
        base = str(request.base_url).rstrip("/")
        return JSONResponse([describe(q, base) for q in library.values()])

    def endpoint_for(q: NamedQuery):  # noqa: ANN202 - FastAPI endpoint factory
        async def run(request: Request) -> Response:
            params = dict(request.query_params)
            fmt = params.pop("format", None)
            return await run_named(request, q, params, fmt)

        run.__doc__ = q.description
        return run

    for q in library.values():
        parameters = [
            {
                "name": p.name,
                "in": "query",
                "required": False,
                "description": p.description,
                "schema": {**OPENAPI_TYPES[p.type], **_default(p.type, p.default)},
            }
            for p in q.parameters
        ]
        parameters.append(
            {
                "name": "format",
                "in": "query",
                "required": False,
                "description": "Result format: json or csv (overrides Accept).",
                "schema": {"type": "string", "enum": ["json", "csv"]},
            }
        )
        router.add_api_route(
            f"/queries/{q.name}",
            endpoint_for(q),
            methods=["GET"],
            summary=q.title,
            description=q.description + ("\n\nNeeds: " + ", ".join(q.needs) if q.needs else ""),
            operation_id=f"query_{q.name.replace('-', '_')}",
            openapi_extra={"parameters": parameters, "responses": {"200": {"content": {m: {} for m in RESULT_MEDIA}}}},
            response_class=Response,
            responses={k: v for k, v in ERROR_RESPONSES.items() if k in (400, 403, 406, 413, 503, 504)},
        )

    @router.get("/queries/{name}", include_in_schema=False)
    def unknown(name: str) -> Response:
        return json_error(404, f"no query named {name!r}; GET /api/queries lists them")

    return router
