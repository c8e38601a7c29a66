"""The application factory: opens the backend once and mounts the routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse

from kg import __version__
from kg.backends import Backend, open_backend
from kg.server import api
from kg.server.sparql import make_router
from kg.settings import Settings


def create_app(settings: Settings | None = None, backend: Backend | None = None) -> FastAPI:
    """A FastAPI app serving the KG; fails early if the build (or remote store) is missing."""
    settings = settings or Settings.from_env()
    backend = backend or open_backend(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        backend.close()

    app = FastAPI(
        title="sdgkg",
        version=__version__,
        lifespan=lifespan,
        description="Development-cooperation projects and the SDGs as linked data.",
    )
    app.state.settings = settings
    app.state.backend = backend
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST", "HEAD", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=["Content-Type", "Vary"],
    )
    app.include_router(make_router())
    app.include_router(api.make_router())

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home() -> str:
        """A short page saying what this is and where to query it."""
        size = f"{backend.store_size} quads" if backend.store_size >= 0 else "a remote store"
        return (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>sdgkg</title></head>"
            f"<body><h1>sdgkg</h1><p>{size}. Query with SPARQL at "
            "<a href='/sparql'>/sparql</a> (GET ?query= or POST).</p></body></html>"
        )

    return app
