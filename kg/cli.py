"""The ``kg`` command line: a thin layer over the library that prints errors, not tracebacks."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kg import __version__
from kg.errors import KgError


def _fail(exc: KgError) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(2)


@click.group()
@click.version_option(__version__, prog_name="kg")
def main() -> None:
    """Build, query and serve the sdgkg knowledge graph."""


@main.command()
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=Path("build"),
    show_default=True,
    help="Directory to write the dataset into (replaced atomically).",
)
def build(out: Path) -> None:
    """Build the KG from the bundled sources into OUT."""
    from kg.build import build as run_build

    try:
        result = run_build(out)
    except KgError as exc:
        _fail(exc)
        return
    s = result.summary
    click.echo(f"built {s['quads']} quads in {s['graphs']} graphs into {result.out}/")
    click.echo(f"  {s['projects']} projects from {s['appearances']} appearances:")
    for doc, n in s["appearances_per_source"].items():  # type: ignore[union-attr]
        click.echo(f"    {doc}: {n}")
    click.echo("  instances per class:")
    for cls, n in s["instances_per_class"].items():  # type: ignore[union-attr]
        click.echo(f"    {cls.rsplit('#', 1)[-1]}: {n}")
    click.echo(
        f"  projects whose sources disagree: {s['projects_with_conflicts']} (see summary.json)"
    )
    for w in result.warnings:
        click.echo(f"  warning: {w}", err=True)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--build",
    "build_dir",
    type=click.Path(path_type=Path),
    default=Path("build"),
    show_default=True,
    help="Build directory to serve (see 'kg build').",
)
def serve(host: str, port: int, build_dir: Path) -> None:
    """Serve the built KG: SPARQL endpoint at /sparql."""
    import uvicorn

    from kg.server.app import create_app

    try:
        app = create_app(build_dir)
    except KgError as exc:
        _fail(exc)
        return
    click.echo(
        f"serving {build_dir}/ on http://{host}:{port}/ (SPARQL: http://{host}:{port}/sparql)"
    )
    uvicorn.run(app, host=host, port=port, log_level="info")


if __name__ == "__main__":
    main()
