"""The application factory: opens the backend once and mounts the routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kg import __version__
from kg.backends import Backend, open_backend
from kg.guard import ServiceChecker
from kg.linked import QueryFailed
from kg.server import api, pages, search
from kg.server.sparql import make_router
from kg.settings import Settings


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
    )
    app.state.settings = settings
    app.state.backend = backend
    app.state.service_checker = checker
    app.add_middleware(HeadAsGet)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST", "HEAD", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=["Content-Type", "Vary"],
    )
    app.include_router(make_router())
    app.include_router(api.make_router())
    app.include_router(search.make_router())

    app.mount("/static", StaticFiles(packages=[("kg", "static")]), name="static")
    app.add_exception_handler(QueryFailed, pages.query_failed)
    app.include_router(pages.make_router())  # last: it resolves every other path as an IRI

    return app
