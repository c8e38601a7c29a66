"""The ``kg`` command line: a thin layer over the library that prints errors, not tracebacks."""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from kg import __version__
from kg.errors import KgError

SHACL_ENGINE: dict = {
    "type": click.Choice(["fast", "pyshacl"]),
    "default": "fast",
    "show_default": True,
    "help": "SHACL engine: fast (SPARQL on pyoxigraph) or pyshacl (the reference; slow).",
}


def _fail(exc: KgError) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(2)


@contextmanager
def _clear_errors(path: Path, doing: str) -> Iterator[None]:
    """A KgError or an OSError inside becomes one 'error: …' line and exit status 2, never a traceback."""
    try:
        yield
    except KgError as exc:
        _fail(exc)
    except OSError as exc:
        _fail(KgError(f"{exc.filename or path}: cannot {doing} ({exc.strerror or exc})"))


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
@click.option("--strict", is_flag=True, help="Fail the build (exit 2, previous build kept) on any SHACL Violation.")
@click.option(
    "--source",
    "source_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A source to add (repeatable): an IATI 2.03 activity file, or a folder of them (or of pages with a "
    "sources.csv). The kind is recognised from the content.",
)
@click.option("--no-bundled", is_flag=True, help="Build from the --source files alone, without the bundled pages.")
@click.option(
    "--reasoner",
    type=click.Choice(["fast", "owlrl"]),
    default="fast",
    show_default=True,
    help="OWL 2 RL engine: fast (rules compiled from the ontology) or owlrl (the reference; slow).",
)
@click.option("--validator", **SHACL_ENGINE)
def build(
    out: Path, strict: bool, source_paths: tuple[Path, ...], no_bundled: bool, reasoner: str, validator: str
) -> None:
    """Build the KG from the bundled sources (and any --source) into OUT."""
    from kg.build import build as run_build
    from kg.ingest.sources import read_manifest, user_sources

    try:
        if no_bundled and not source_paths:
            raise KgError("--no-bundled needs at least one --source")
        sources = ([] if no_bundled else read_manifest()) + user_sources(list(source_paths))
        result = run_build(out, strict=strict, sources=sources, reasoner=reasoner, validator=validator)
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
    click.echo("  seconds per stage: " + ", ".join(f"{k} {v:.1f}" for k, v in result.seconds.items()))
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
@click.option("--engine", **SHACL_ENGINE)
def validate_cmd(path: Path, shapes: Path | None, fmt: str, engine: str) -> None:
    """Validate PATH (an RDF file or a build directory) against the SHACL shapes.

    Exit status: 0 without Violations, 1 with Violations, 2 when the input cannot be read.
    """
    import json

    from kg.quality.validate import SHAPES_DIR, load_shapes, read_data, validate

    try:
        result = validate(read_data(path), load_shapes(shapes or SHAPES_DIR), engine=engine)
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
            f"{result.count('Violation')} violations, {result.count('Warning')} warnings, {result.count('Info')} infos"
        )
    sys.exit(0 if result.conforms else 1)


def build_dir_option(help_text: str):  # noqa: ANN201 - a click decorator
    """The --build DIR option shared by the commands that read a build."""
    return click.option(
        "--build",
        "build_dir",
        type=click.Path(path_type=Path),
        default=Path("build"),
        show_default=True,
        help=help_text,
    )


@main.command("export")
@click.option("--format", "fmt", type=click.Choice(["iati"]), default="iati", show_default=True, help="Output format.")
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False), required=True, help="File to write.")
@build_dir_option("Build directory to export.")
def export_cmd(fmt: str, out: Path, build_dir: Path) -> None:
    """Write every project of a build as IATI 2.03 activity XML (checked against the XSD)."""
    from kg.store.export_iati import export_iati

    with _clear_errors(out, "write the export"):
        result = export_iati(build_dir, out)
    click.echo(f"wrote {result.activities} IATI activities to {out} (valid against the IATI 2.03 schema)")
    if result.skipped:
        click.echo(f"left out {len(result.skipped)} projects IATI cannot hold:", err=True)
        for line in result.skipped:
            click.echo(f"  {line}", err=True)


@main.command("suggest-sdgs")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1),
    default=None,
    help="Minimum confidence of a listed suggestion (default: the tagger's, 0.5).",
)
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False), help="Write here instead of stdout.")
def suggest_sdgs_cmd(file: Path, threshold: float | None, out: Path | None) -> None:
    """Suggest SDG targets for each document of FILE (JSON Lines or one text per line; - for stdin).

    Writes JSON Lines: {"id", "suggestions": [{"target", "goal", "confidence", "evidence"}]}.
    """
    import json
    import time

    from kg.enrich.sdg import default_tagger, read_documents

    with _clear_errors(file, "open it"):
        tagger = default_tagger()
        handle = sys.stdin if str(file) == "-" else file.open(encoding="utf-8")
        sink = out.open("w", encoding="utf-8") if out else sys.stdout
    started = last = time.monotonic()
    done = 0
    try:
        with handle:
            for ident, text in read_documents(handle, str(file)):
                suggestions = [s.as_json() for s in tagger.suggest(text, threshold=threshold)]
                sink.write(json.dumps({"id": ident, "suggestions": suggestions}, ensure_ascii=False) + "\n")
                done += 1
                if time.monotonic() - last > 2:
                    last = time.monotonic()
                    click.echo(f"suggest-sdgs: {done} documents, {done / (last - started):.0f}/s", err=True)
    except KgError as exc:
        _fail(exc)
    except UnicodeDecodeError as exc:
        _fail(KgError(f"{file}: not UTF-8 text (byte {exc.start})"))
    finally:
        if out:
            sink.close()
    if done and time.monotonic() - started > 2:
        click.echo(f"suggest-sdgs: {done} documents done", err=True)


@main.command("query")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False), required=False)
@click.option("-e", "--execute", "text", default=None, help="The query text (instead of FILE).")
@click.option("--endpoint", default=None, help="Query this SPARQL endpoint instead of the local build.")
@build_dir_option("Build directory to query when no --endpoint is given.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "tsv", "json"]),
    default="table",
    show_default=True,
    help="Output format for SELECT/ASK (graphs print as Turtle).",
)
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds before the query is stopped.")
@click.option("--name", "name", default=None, help="Run a query of the library (queries/NAME.rq).")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="A parameter of --name (repeatable).")
@click.option("--list", "list_queries", is_flag=True, help="List the library's queries and their parameters.")
def query_cmd(
    file: Path | None,
    text: str | None,
    endpoint: str | None,
    build_dir: Path,
    fmt: str,
    timeout: float,
    name: str | None,
    params: tuple[str, ...],
    list_queries: bool,
) -> None:
    """Run a SPARQL query (FILE, -e or --name) on the local build or a remote endpoint."""
    from kg.server.queries import ParameterError, load_library
    from kg.store.client import format_results, query_endpoint, query_local

    if list_queries:
        for q in load_library().values():
            click.echo(f"{q.name}: {q.title}" + (f" [needs {', '.join(q.needs)}]" if q.needs else ""))
            for p in q.parameters:
                click.echo(f"    --param {p.name}=<{p.type}>  (default {p.default}) {p.description}")
        return
    if sum(x is not None for x in (file, text, name)) != 1:
        _fail(KgError("give one of: a query FILE, -e 'QUERY', or --name NAME (see --list)"))
        return
    if name is not None:
        library = load_library()
        if name not in library:
            _fail(KgError(f"no query named {name!r}; 'kg query --list' shows them"))
            return
        values = {}
        for item in params:
            key, sep, value = item.partition("=")
            if not sep:
                _fail(KgError(f"--param {item!r}: expected KEY=VALUE"))
                return
            values[key] = value
        try:
            sparql = library[name].bind(values)
        except ParameterError as exc:
            _fail(KgError(str(exc)))
            return
    else:
        sparql = text if text is not None else file.read_text(encoding="utf-8")  # type: ignore[union-attr]
    try:
        if endpoint:
            media, body = query_endpoint(endpoint, sparql, timeout=timeout)
        else:
            media, body = query_local(build_dir, sparql, timeout=timeout)
        click.echo(format_results(media, body, fmt))
    except KgError as exc:
        _fail(exc)


@main.command()
@click.option(
    "--to",
    "graph_store",
    required=True,
    help="Graph Store Protocol endpoint, e.g. http://127.0.0.1:7878/store (Oxigraph) or "
    "http://127.0.0.1:8890/sparql-graph-crud-auth (Virtuoso).",
)
@build_dir_option("Build directory to publish.")
@click.option("--user", default=None, help="User name for HTTP authentication.")
@click.option("--password", default=None, envvar="SDGKG_PUBLISH_PASSWORD", help="Password (or SDGKG_PUBLISH_PASSWORD).")
@click.option("--digest", is_flag=True, help="Use HTTP Digest authentication (Virtuoso) instead of Basic.")
@click.option(
    "--default-union/--no-default-union",
    default=True,
    show_default=True,
    help="Also put the union of all graphs into the default graph (as the embedded store serves it). "
    "Virtuoso's default graph is already the union of all graphs: use --no-default-union there.",
)
@click.option(
    "--chunk",
    default=100_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Triples per request when a graph is sent graph by graph (PUT, then POSTs for the rest).",
)
def publish(  # noqa: PLR0913 - one per option
    graph_store: str,
    build_dir: Path,
    user: str | None,
    password: str | None,
    digest: bool,
    default_union: bool,
    chunk: int,
) -> None:
    """Push every named graph of the build to a triple store (Graph Store Protocol PUT)."""
    from kg.store.client import publish as run_publish

    auth = (user, password or "") if user else None
    try:
        sent = run_publish(
            build_dir,
            graph_store,
            auth=auth,
            digest=digest,
            default_union=default_union,
            progress=lambda m: click.echo(m, err=True),
            chunk=chunk,
        )
    except KgError as exc:
        _fail(exc)
        return
    click.echo(f"published {sum(sent.values())} triples in {len(sent)} graphs to {graph_store}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@build_dir_option("Build directory to serve (see 'kg build').")
@click.option("--store", "store_url", default=None, help="Serve from this remote SPARQL endpoint instead.")
@click.option(
    "--workers",
    type=int,
    default=None,
    help="Query workers (concurrent queries) [4]: processes, or threads of one over an on-disk store "
    "(with one thread more, kept for quick queries).",
)
@click.option(
    "--store-mode",
    type=click.Choice(["auto", "memory", "disk"]),
    default=None,
    help="Workers load the dataset into memory, or open the build's on-disk store read-only "
    "[auto: disk from 200,000 quads; memory when updates are enabled]. Env: SDGKG_STORE_MODE.",
)
@click.option("--timeout", type=float, default=None, help="Default query timeout in seconds [30].")
@click.option("--max-timeout", type=float, default=None, help="Largest ?timeout= a client may ask for [120].")
@click.option("--max-rows", type=int, default=None, help="Result rows before 413 [100000].")
@click.option(
    "--service-allow",
    multiple=True,
    help="SERVICE endpoint to allow besides Wikidata's (repeatable; scheme, host, port and path; "
    "an entry ending in / admits the paths below it). SDGKG_SERVICE_ALLOW replaces the whole list.",
)
@click.option(
    "--default-graph",
    "default_graph",
    type=click.Choice(["union", "empty"]),
    default=None,
    help="Default graph of queries: the union of the named graphs, or empty [union].",
)
@click.option(
    "--base",
    default=None,
    help="IRI base of the served data: request paths are appended to it to find "
    "the resource [https://w3id.org/sdgkg/ or SDGKG_BASE].",
)
@click.option(
    "--admin-token-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Enable updates and Graph Store writes with the Bearer token in this file (or set SDGKG_ADMIN_TOKEN).",
)
@click.option("--admin-token", default=None, hidden=True)
def serve(
    host: str,
    port: int,
    build_dir: Path,
    store_url: str | None,
    workers: int | None,
    store_mode: str | None,
    timeout: float | None,
    max_timeout: float | None,
    max_rows: int | None,
    service_allow: tuple[str, ...],
    base: str | None,
    default_graph: str | None,
    admin_token_file: Path | None,
    admin_token: str | None,
) -> None:
    """Serve the KG: SPARQL 1.1 Protocol at /sparql, Graph Store Protocol at /store."""
    if store_mode:
        os.environ["SDGKG_STORE_MODE"] = store_mode  # read by the workers (kg.store.dataset.open_store)
    import uvicorn

    if admin_token is not None:
        _fail(
            KgError(
                "--admin-token would show the token to every user of this machine (ps); "
                "put it in a file for --admin-token-file, or in SDGKG_ADMIN_TOKEN"
            )
        )
    if admin_token_file is not None:
        try:
            admin_token = admin_token_file.read_text(encoding="utf-8").strip() or None
        except (OSError, UnicodeDecodeError) as exc:
            _fail(KgError(f"{admin_token_file}: cannot read the admin token ({exc})"))
        if admin_token is None:
            _fail(KgError(f"{admin_token_file}: the admin token file is empty"))

    from kg.server.app import create_app
    from kg.server.settings import DEFAULT_SERVICE_ALLOW, Settings

    settings = Settings.from_env(
        build_dir=build_dir,
        store_url=store_url,
        workers=workers,
        timeout=timeout,
        max_timeout=max_timeout,
        max_rows=max_rows,
        service_allow=(tuple(dict.fromkeys(DEFAULT_SERVICE_ALLOW + service_allow)) if service_allow else None),
        admin_token=admin_token,
        base=base,
        union_default_graph=None if default_graph is None else default_graph == "union",
    )
    try:
        app = create_app(settings)
    except (KgError, ConnectionError) as exc:
        _fail(KgError(str(exc)))
        return
    source = store_url or f"{build_dir}/"
    click.echo(f"serving {source} on http://{host}:{port}/ (SPARQL: http://{host}:{port}/sparql)")
    logging.getLogger("uvicorn.access").addFilter(RedactSecrets())
    from kg.server.protocol import GuardedHttpToolsProtocol

    uvicorn.run(app, host=host, port=port, log_level="info", http=GuardedHttpToolsProtocol, timeout_keep_alive=30)


class RedactSecrets(logging.Filter):
    """Keep tokens and passwords sent in a URL out of the access log."""

    PATTERN = re.compile(r"((?:token|access_token|key|password|secret)=)[^&\s\"]*", re.IGNORECASE)

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the request line's arguments, then let the record through."""
        if isinstance(record.args, tuple):
            record.args = tuple(self.PATTERN.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args)
        return True


if __name__ == "__main__":
    main()
