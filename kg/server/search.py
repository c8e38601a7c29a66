"""Full-text search routes: ``/api/search`` (JSON, or a SPARQL VALUES block) and ``/search`` (a page).

The index is the build's ``search.sqlite`` (kg.enrich.search), opened read-only per request:
SQLite answers in well under a millisecond and a new build swapped in is picked up at once.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from kg.enrich.search import FACETS, INDEX_FILE, Results, Searcher, SearchUnavailable
from kg.server.sparql import json_error

FACET_TITLES = {
    "type": "type",
    "country": "country",
    "sdg": "SDG stated by a source",
    "sdg-suggested": "SDG suggested from text (confidence ≥ 0.5)",
    "organisation": "organisation",
    "source": "source",
    "year": "year active",
}
Many = Annotated[list[str] | None, Query()]


def run_search(request: Request, q: str, filters: dict[str, list[str]], limit: int, offset: int) -> Results:
    """Search the served build's index; raises SearchUnavailable with what to do."""
    settings = request.app.state.settings
    if settings.store_url:
        raise SearchUnavailable("full-text search needs a local build (kg serve --build DIR), not --store")
    searcher = Searcher(settings.build_dir / INDEX_FILE)
    try:
        return searcher.search(q, filters, limit=limit, offset=offset)
    finally:
        searcher.close()


def _filters(type_: Many, country: Many, sdg: Many, sdg_suggested: Many, organisation: Many, source: Many,
             year: Many) -> dict[str, list[str]]:  # fmt: skip
    given = {"type": type_, "country": country, "sdg": sdg, "sdg-suggested": sdg_suggested,
             "organisation": organisation, "source": source, "year": year}  # fmt: skip
    return {k: [x for x in v if x] for k, v in given.items() if v and any(v)}


def make_router() -> APIRouter:
    """The search API (documented in OpenAPI) and the search page."""
    router = APIRouter()

    @router.get(
        "/api/search",
        tags=["search"],
        summary="Full-text search",
        operation_id="search",
        responses={
            200: {"content": {"application/json": {}, "text/plain": {}}},
            400: {"description": "no search words"},
            404: {"description": "this server has no search index (remote store)"},
        },
    )
    def api_search(
        request: Request,
        q: Annotated[str, Query(description="Words to find (any order); misspellings within one letter match.")],
        type: Many = None,  # noqa: A002 - the facet's public name
        country: Many = None,
        sdg: Many = None,
        sdg_suggested: Annotated[list[str] | None, Query(alias="sdg-suggested")] = None,
        organisation: Many = None,
        source: Many = None,
        year: Many = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 20,
        offset: Annotated[int, Query(ge=0)] = 0,
        format: Annotated[str, Query(pattern="^(json|values)$")] = "json",  # noqa: A002
    ) -> Response:
        """Resources whose labels, names (as written in the sources too), codes or text match every word.

        Facet filters (IRIs, or the type name / year) narrow the hits; repeat one to require several.
        ``format=values`` answers with the hits as a SPARQL ``VALUES ?resource { … }`` block.
        """
        if not q.strip():
            return json_error(400, "give some words to search for: /api/search?q=…")
        filters = _filters(type, country, sdg, sdg_suggested, organisation, source, year)
        try:
            found = run_search(request, q, filters, limit, offset)
        except SearchUnavailable as exc:
            return json_error(404, str(exc))
        if format == "values":
            return PlainTextResponse(found.values_block() + "\n")
        return JSONResponse(found.as_json())

    @router.get("/search", include_in_schema=False)
    def search_page(request: Request, q: str = "", offset: int = 0) -> Response:
        from kg.server.pages import render

        params = request.query_params
        filters = {f: [v for v in params.getlist(f) if v] for f in FACETS if params.getlist(f)}
        found, problem = None, None
        if q.strip():
            try:
                found = run_search(request, q, filters, 20, max(offset, 0))
            except SearchUnavailable as exc:
                problem = str(exc)

        def link(**change: object) -> str:
            items = [(k, v) for k, v in params.multi_items() if k not in change and k != "offset"]
            for k, v in change.items():
                if v is not None:
                    items.append((k, str(v)))
            return "/search?" + urlencode(items)

        def without(facet: str, value: str) -> str:
            items = [(k, v) for k, v in params.multi_items() if (k, v) != (facet, value) and k != "offset"]
            return "/search?" + urlencode(items)

        def with_facet(facet: str, value: str) -> str:
            items = [(k, v) for k, v in params.multi_items() if k != "offset"] + [(facet, value)]
            return "/search?" + urlencode(items)

        return render(
            "search.html",
            title=f"Search: {q}" if q else "Search",
            q=q,
            found=found,
            problem=problem,
            filters=filters,
            offset=max(offset, 0),
            titles=FACET_TITLES,
            link=link,
            without=without,
            with_facet=with_facet,
            values_url="/api/search?" + urlencode([*params.multi_items(), ("format", "values"), ("limit", "100")])
            if q
            else "",
        )

    return router
