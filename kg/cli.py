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
    click.echo(f"  projects whose sources disagree: {s['projects_with_conflicts']} (see summary.json)")
    click.echo(f"  inferred triples: {s['inferred_triples']} (graph <https://w3id.org/sdgkg/graph/inferred>)")
    v = s["validation"]
    click.echo(
        f"  validation: {v['violations']} violations, {v['warnings']} warnings, "  # type: ignore[index]
        f"{v['infos']} infos (see {result.out}/validation.md)"
    )  # type: ignore[index]
    for w in result.warnings:
        click.echo(f"  warning: {w}", err=True)


@main.command("validate")
@click.argument("path", type=click.Path(path_type=Path), default=Path("build"))
@click.option(
    "--shapes",
    "shapes",
    type=click.Path(path_type=Path),
    default=None,
    help="Shapes file or directory [default: the project's shapes/].",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "turtle", "json"]),
    default="text",
    show_default=True,
    help="Output format of the report.",
)
def validate_cmd(path: Path, shapes: Path | None, fmt: str) -> None:
    """Validate PATH (an RDF file or a build directory) against the SHACL shapes.

    Exit status: 0 without Violations, 1 with Violations, 2 when the input cannot be read.
    """
    import json

    from kg.validate import SHAPES_DIR, load_shapes, read_data, validate

    try:
        result = validate(read_data(path), load_shapes(shapes or SHAPES_DIR))
    except KgError as exc:
        _fail(exc)
        return
    if fmt == "turtle":
        click.echo(result.report.serialize(format="turtle"))
    elif fmt == "json":
        counts = {s: result.count(s) for s in ("Violation", "Warning", "Info")}
        findings = [f.__dict__ | {"sources": list(f.sources)} for f in result.findings]
        click.echo(
            json.dumps(
                {"conforms": result.conforms, "counts": counts, "findings": findings},
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        for f in result.findings:
            click.echo(f"{f.severity}: {f.shape}: {f.focus_label or f.focus}: {f.message}")
        click.echo(
            f"{result.count('Violation')} violations, {result.count('Warning')} warnings, "
            f"{result.count('Info')} infos"
        )
    sys.exit(0 if result.conforms else 1)


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
    click.echo(f"serving {build_dir}/ on http://{host}:{port}/ (SPARQL: http://{host}:{port}/sparql)")
    uvicorn.run(app, host=host, port=port, log_level="info")


if __name__ == "__main__":
    main()
