"""The application factory: opens the backend once and mounts the routers."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kg import __version__
from kg.server import api, pages, search
from kg.server.assets import VENDOR, assets_dir
from kg.server.backends import Backend, open_backend
from kg.server.guard import ServiceChecker
from kg.server.linked import QueryFailed
from kg.server.settings import Settings
from kg.server.sparql import handle as handle_sparql
from kg.server.sparql import make_router


class HeadAsGet:
    """HEAD on every route, answered as the GET would be but without the body.

    FastAPI routes declared with GET answer HEAD with 405, so ``wget --spider`` and link checkers
    reported every page as broken; /sparql and /store handle HEAD themselves.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass GET's headers through and drop its body."""
        if scope["type"] != "http" or scope["method"] != "HEAD" or scope["path"] in ("/sparql", "/store"):
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)


class Compress(GZipMiddleware):
    """gzip for clients that accept it (dumps, results, pages), but not for Range requests.

    A byte range names bytes of the file, so resumed downloads (``wget -c``) get them unencoded.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Compress unless the request asks for a range."""
        if scope["type"] == "http" and any(k == b"range" for k, _ in scope["headers"]):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


GZIP_MINIMUM, GZIP_LEVEL = 1024, 1  # level 1 as nginx: most of the saving for a third of the CPU


class SparqlFastPath:
    """A program's SPARQL query goes straight to the protocol handler, around the middleware.

    GET or POST /sparql without an ``Origin`` header (not a browser's cross-origin call) needs
    nothing the stack adds for pages (CORS, HEAD as GET, routing, exception pages), and at
    hundreds of queries a second that stack was a third of the server's CPU per query
    (bench/run.py). The handler is the same one the route calls; gzip is applied here with the
    middleware's settings. Everything else passes through.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer /sparql queries from programs; pass everything else on."""
        if (
            scope["type"] != "http"
            or scope["path"] != "/sparql"
            or scope["method"] not in ("GET", "POST")
            or any(k == b"origin" for k, _ in scope["headers"])
        ):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        response = await handle_sparql(request)
        body = getattr(response, "body", b"")
        if len(body) >= GZIP_MINIMUM and "gzip" in request.headers.get("accept-encoding", ""):
            response.body = gzip.compress(body, GZIP_LEVEL)
            response.headers["content-encoding"] = "gzip"
            response.headers["content-length"] = str(len(response.body))
            response.headers.add_vary_header("Accept-Encoding")
        await response(scope, receive, send)


def _same_origin_only(page: HTMLResponse) -> HTMLResponse:
    """The docs pages may load nothing from another host (ReDoc's badge points at its CDN)."""
    page.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; font-src 'self' data:"
    )
    return page


def _mount_vendor(app: FastAPI) -> None:
    """Serve the npm assets locally: the pages work offline, nothing comes from a CDN."""
    root = assets_dir()
    for name, sub in VENDOR.items():
        app.mount(f"/vendor/{name}", StaticFiles(directory=root / sub, check_dir=False), name=f"vendor-{name}")

    pages = {
        "/docs": lambda: get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="sdgkg API",
            swagger_js_url="/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        ),
        "/redoc": lambda: get_redoc_html(
            openapi_url="/openapi.json",
            title="sdgkg API",
            redoc_js_url="/vendor/redoc/redoc.standalone.js",
            redoc_favicon_url="/static/favicon.svg",
            with_google_fonts=False,
        ),
    }
    for path, page in pages.items():
        app.add_api_route(path, _docs_route(page), methods=["GET"], include_in_schema=False)


def _docs_route(page: Callable[[], HTMLResponse]) -> Callable[[], HTMLResponse]:
    def route() -> HTMLResponse:
        return _same_origin_only(page())

    return route


def create_app(settings: Settings | None = None, backend: Backend | None = None) -> FastAPI:
    """A FastAPI app serving the KG; fails early if the build (or remote store) is missing."""
    settings = settings or Settings.from_env()
    backend = backend or open_backend(settings)
    checker = ServiceChecker()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        backend.close()
        checker.close()

    app = FastAPI(
        title="sdgkg",
        version=__version__,
        lifespan=lifespan,
        description="Development-cooperation projects and the SDGs as linked data.",
        docs_url=None,  # served below from local assets (the defaults load Swagger UI and ReDoc from a CDN)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.backend = backend
    app.state.service_checker = checker
    # inside HeadAsGet, so HEAD reports the Content-Length and Content-Encoding a GET would get
    app.add_middleware(Compress, minimum_size=GZIP_MINIMUM, compresslevel=GZIP_LEVEL)
    app.add_middleware(HeadAsGet)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST", "HEAD", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=["Content-Type", "Vary"],
    )
    app.add_middleware(SparqlFastPath)  # added last: outermost of ours
    app.include_router(make_router())
    app.include_router(api.make_router())
    app.include_router(search.make_router())

    app.mount("/static", StaticFiles(packages=[("kg", "static")]), name="static")
    _mount_vendor(app)
    app.add_exception_handler(QueryFailed, pages.query_failed)
    app.include_router(pages.make_router())  # last: it resolves every other path as an IRI

    return app
