"""The application factory: loads the build once at start-up and mounts the routers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from kg import __version__
from kg.server.sparql import make_router
from kg.store import open_store


def create_app(build_dir: Path) -> FastAPI:
    """A FastAPI app serving the KG in ``build_dir``; fails early if the build is missing."""
    store = open_store(build_dir)
    app = FastAPI(
        title="sdgkg",
        version=__version__,
        description="Development-cooperation projects and the SDGs as linked data.",
    )
    app.state.store = store
    app.state.build_dir = Path(build_dir)
    app.include_router(make_router())

    @app.get("/", response_class=HTMLResponse)
    def home() -> str:
        """A short page saying what this is and where to query it."""
        return (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>sdgkg</title></head>"
            f"<body><h1>sdgkg</h1><p>{len(store)} quads. Query with SPARQL at "
            "<a href='/sparql'>/sparql</a> (GET ?query= or POST).</p></body></html>"
        )

    return app
