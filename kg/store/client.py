"""Clients: queries against the local build or any SPARQL endpoint, and publishing.

Publishing pushes the build to a remote store through the SPARQL 1.1 Graph Store Protocol.
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.error
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pyoxigraph as ox

from kg.errors import KgError
from kg.server.workers import Job, start_worker

JSON_RESULTS = "application/sparql-results+json"


def query_local(build_dir: Path, sparql: str, *, timeout: float = 60.0) -> tuple[str, bytes]:
    """Run a query on the build in a killable worker: (media type, body)."""
    worker = start_worker(Path(build_dir))
    try:
        worker.wait_ready()
        answer = worker.run(Job("query", sparql, accept=f"{JSON_RESULTS}, text/turtle;q=0.9"), timeout)
    finally:
        worker.kill()
    if answer is None:
        raise KgError(f"the query ran longer than {timeout:g} s and was stopped (use --timeout)")
    if answer.status >= 400:
        raise KgError(json.loads(answer.body)["error"])
    return answer.media_type, answer.body


_WHOLE_LINE_COMMENT = re.compile(r"(?m)^[ \t]*#.*(?:\n|$)")


def query_endpoint(url: str, sparql: str, *, timeout: float = 60.0) -> tuple[str, bytes]:
    """Run a query on a remote endpoint with SPARQLWrapper: (media type, body)."""
    from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

    client = SPARQLWrapper(url)
    # SPARQLWrapper guesses the query form from keywords anywhere in the text: "address" in a
    # header comment read as ADD (an update). Whole-line comments go before it sees the text.
    client.setQuery(_WHOLE_LINE_COMMENT.sub("", sparql))
    client.setMethod("POST")
    client.setTimeout(int(timeout))
    client.setReturnFormat(JSON if client.queryType in ("SELECT", "ASK") else TURTLE)
    try:
        response = client.query()
    except SPARQLWrapperException as exc:
        raise KgError(f"{url}: {exc}") from exc
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:300].decode("utf-8", "replace").strip()
        raise KgError(f"{url}: the endpoint answered {exc.code} {exc.reason}: {detail}") from None
    except OSError as exc:
        raise KgError(f"{url}: cannot reach the endpoint ({exc})") from exc
    media = response.response.headers.get("Content-Type", "").split(";")[0].strip()
    return media, response.response.read()


def format_results(media: str, body: bytes, fmt: str) -> str:
    """Results as a table, CSV, TSV or JSON (graphs are printed as Turtle)."""
    if "json" not in media or "ld+json" in media:
        return body.decode("utf-8")
    data = json.loads(body)
    if "boolean" in data:
        return json.dumps(data) if fmt == "json" else ("true" if data["boolean"] else "false")
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False)
    variables = data["head"]["vars"]
    rows = [[b.get(v, {}).get("value", "") for v in variables] for b in data["results"]["bindings"]]
    if fmt in ("csv", "tsv"):
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        writer.writerow(variables)
        writer.writerows(rows)
        return buf.getvalue().rstrip("\n")
    widths = [max([len(v), *(len(r[i]) for r in rows)]) for i, v in enumerate(variables)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()  # noqa: E731
    out = [line(variables), line(["-" * w for w in widths])] + [line(r) for r in rows]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def publish(
    build_dir: Path,
    graph_store: str,
    *,
    auth: tuple[str, str] | None = None,
    digest: bool = False,
    default_union: bool = True,
    timeout: float = 120.0,
    progress: Callable[[str], None] = lambda _m: None,
    chunk: int = 100_000,
) -> dict[str, int]:
    """PUT every named graph of the build to a Graph Store Protocol endpoint; triples per graph.

    With ``default_union`` the de-duplicated union also goes to the store's default graph, so
    queries without GRAPH see what they see on the embedded store. A graph of more than ``chunk``
    triples is sent as a PUT of the first ``chunk`` and POSTs (append) of the rest: at 5 x 10^6
    quads one PUT of the inferred graph outlasted Virtuoso's answer time.
    """
    path = Path(build_dir) / "dataset.nq"
    if not path.is_file():
        raise KgError(f"{path} not found: run 'kg build' first")
    credentials: httpx.Auth | None = None
    if auth:
        credentials = httpx.DigestAuth(*auth) if digest else httpx.BasicAuth(*auth)
    bulk = _publish_bulk(path, graph_store, credentials, default_union, timeout, progress)
    if bulk is not None:
        return bulk
    graphs: dict[str, list[ox.Triple]] = {}
    for q in ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS):
        if isinstance(q.graph_name, ox.NamedNode):
            graphs.setdefault(q.graph_name.value, []).append(ox.Triple(q.subject, q.predicate, q.object))
    sent: dict[str, int] = {}
    sep = "&" if "?" in graph_store else "?"
    targets = [
        (f"{graph_store}{sep}graph={quote(name, safe='')}", name, triples) for name, triples in sorted(graphs.items())
    ]
    if default_union:
        union = sorted({t for ts in graphs.values() for t in ts}, key=str)
        targets.append((f"{graph_store}{sep}default", "(default graph: union)", union))
    with httpx.Client(auth=credentials, timeout=timeout) as client:
        for n, (url, name, triples) in enumerate(targets, start=1):
            for start in range(0, max(1, len(triples)), max(1, chunk)):
                body = ox.serialize(triples[start : start + chunk], format=ox.RdfFormat.N_TRIPLES) or b""
                method = "PUT" if start == 0 else "POST"  # replace the graph, then append to it
                try:
                    r = client.request(method, url, content=body, headers={"Content-Type": "application/n-triples"})
                except httpx.HTTPError as exc:
                    raise KgError(f"{graph_store}: cannot reach the graph store ({exc})") from exc
                if r.status_code not in (200, 201, 204):
                    raise KgError(f"{method} <{name}> to {graph_store} answered {r.status_code}: {r.text[:300]}")
            sent[name] = len(triples)
            parts = f" in {-(-len(triples) // chunk)} requests" if len(triples) > chunk else ""
            progress(f"[{n}/{len(targets)}] {name}: {len(triples)} triples{parts}")
    return sent


def _publish_bulk(
    path: Path,
    graph_store: str,
    credentials: httpx.Auth | None,
    default_union: bool,
    timeout: float,
    progress: Callable[[str], None],
) -> dict[str, int] | None:
    """One PUT of the whole dataset as N-Quads, loaded by Oxigraph server's bulk loader.

    Oxigraph replaces the whole dataset with the body (tested). ``no_transaction`` has it load
    with its bulk loader instead of one transaction: 9.8 s instead of 57 s for 10^6 quads, and at
    5 x 10^6 the transaction took 396 s. Either way Oxigraph clears the store before loading, so
    readers see it empty, then filling; a failed load is reported and leaves it partial. Other
    stores may accept the request and ignore the graph names (Virtuoso does), so the bulk path
    is taken only when a probe's ``Server`` header names Oxigraph; otherwise None: the caller
    PUTs graph by graph.
    """
    sep = "&" if "?" in graph_store else "?"
    try:
        with httpx.Client(auth=credentials, timeout=timeout) as client:
            probe = client.get(f"{graph_store}{sep}graph={quote('urn:sdgkg:probe', safe='')}")
    except httpx.HTTPError as exc:
        raise KgError(f"{graph_store}: cannot reach the graph store ({exc})") from exc
    if not probe.headers.get("server", "").lower().startswith("oxigraph"):
        return None
    counts: dict[str, int] = {}
    for q in ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS):
        if isinstance(q.graph_name, ox.NamedNode):
            counts[q.graph_name.value] = counts.get(q.graph_name.value, 0) + 1
    union = b""
    if default_union:
        union_path = path.parent / "union.ttl"
        triples = ox.parse(path=str(union_path), format=ox.RdfFormat.TURTLE) if union_path.is_file() else []
        union = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""  # default graph lines in N-Quads

    body = _Body(path, union)
    progress(f"bulk: one PUT of {sum(counts.values())} quads in {len(counts)} graphs (N-Quads, bulk loader)")
    headers = {"Content-Type": "application/n-quads", "Content-Length": str(len(body))}
    try:
        with httpx.Client(auth=credentials, timeout=timeout) as client:
            r = client.put(f"{graph_store}{sep}no_transaction", content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise KgError(f"{graph_store}: cannot reach the graph store ({exc})") from exc
    if r.status_code in (200, 201, 204):
        if default_union:
            counts["(default graph: union)"] = union.count(b"\n")
        return counts
    raise KgError(f"PUT of the dataset to {graph_store} answered {r.status_code}: {r.text[:300]}")


class _Body:
    """A request body: a file, then bytes, in 1 MiB pieces, as often as it is asked for.

    In pieces because httpcore copies what is left of a body after every socket send: one 2 GB
    ``bytes`` body (5 x 10^6 quads) took over five minutes of copying before Oxigraph saw it.
    Re-iterable (not a generator), so digest authentication can send it again; read from disk,
    so the dataset is not held in memory.
    """

    PIECE = 1 << 20

    def __init__(self, path: Path, tail: bytes) -> None:
        self.path, self.tail = path, tail

    def __len__(self) -> int:
        return self.path.stat().st_size + len(self.tail)

    def __iter__(self) -> Iterator[bytes]:
        with open(self.path, "rb") as handle:
            while piece := handle.read(self.PIECE):
                yield piece
        for start in range(0, len(self.tail), self.PIECE):
            yield self.tail[start : start + self.PIECE]
