"""Where queries run: the embedded store (killable local workers) or a remote SPARQL endpoint.

Both answer :class:`kg.server.workers.Job` with :class:`kg.server.workers.Answer`, so the HTTP layer does not
care which one it talks to.
"""

from __future__ import annotations

from typing import Protocol

import httpx
import pyoxigraph as ox

from kg.server import results
from kg.server.guard import Refusal, check_rdf_body
from kg.server.settings import Settings
from kg.server.workers import Answer, Job, WorkerPool, error
from kg.store.swap import recover


class Backend(Protocol):
    """What the server needs from a store."""

    size: int
    store_size: int

    def run(self, job: Job, *, timeout: float, wait: float) -> Answer:
        """Answer a query."""
        ...

    def update(self, job: Job, *, timeout: float, wait: float) -> Answer:
        """Apply a write (an update or a Graph Store write)."""
        ...

    def close(self) -> None:
        """Release resources."""
        ...


class RemoteEndpoint:
    """A remote SPARQL 1.1 endpoint (Oxigraph server, Virtuoso, Fuseki…) used as the store."""

    def __init__(self, url: str, *, update_url: str | None = None, size: int = 4) -> None:
        self.url = url
        self.update_url = update_url or url
        self.size = size
        self.client = httpx.Client(follow_redirects=False)
        probe = self.run(Job("query", "ASK { ?s ?p ?o }"), timeout=15, wait=0)
        if probe.status >= 400:
            raise ConnectionError(f"{url} did not answer a SPARQL ASK: {probe.body[:200]!r}")
        self.store_size = -1
        self.generation = 0

    def run(self, job: Job, *, timeout: float, wait: float) -> Answer:
        """Forward the query; the remote endpoint's answer is passed through."""
        if job.kind == "graph":
            job = graph_read_query(job)
        offered = list(results.SELECT_TYPES) + list(results.GRAPH_TYPES)
        try:
            accept = results.negotiate(job.accept, offered, job.fmt) if (job.accept or job.fmt) else None
        except results.NotAcceptable as exc:
            return error(406, str(exc))
        data = [("query", job.text)]
        data += [("default-graph-uri", g) for g in job.default_graphs]
        data += [("named-graph-uri", g) for g in job.named_graphs]
        headers = {"Accept": accept} if accept else {}
        try:
            r = self.client.post(
                self.url,
                data=dict(data) if len(data) == 1 else data,  # type: ignore[arg-type]
                headers=headers,
                timeout=timeout,
            )
        except httpx.TimeoutException:
            return error(504, f"the remote store did not answer within {timeout:g} s")
        except httpx.HTTPError as exc:
            return error(502, f"the remote store {self.url} failed: {exc}")
        media = r.headers.get("content-type", "application/octet-stream").split(";")[0]
        if r.status_code >= 400:
            return error(
                r.status_code if r.status_code < 500 else 502,
                f"the remote store answered {r.status_code}: {r.text[:500]}",
            )
        return Answer(r.status_code, r.content, media)

    def update(self, job: Job, *, timeout: float, wait: float) -> Answer:
        """Forward a write as SPARQL Update (the remote store decides whether it accepts it)."""
        try:
            text = write_as_update(job)
        except Refusal as r:
            return error(r.status, r.message)
        try:
            r = self.client.post(self.update_url, data={"update": text}, timeout=timeout)
        except httpx.HTTPError as exc:
            return error(502, f"the remote store {self.update_url} failed: {exc}")
        if r.status_code >= 400:
            return error(r.status_code, f"the remote store answered {r.status_code}: {r.text[:500]}")
        return Answer(204, b"", "text/plain")

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()


def _term(graph: str | None) -> str:
    """A graph IRI as SPARQL text; the IRI was checked by the protocol layer and is re-checked here."""
    return "DEFAULT" if graph is None else f"GRAPH {ox.NamedNode(graph)}"


def graph_read_query(job: Job) -> Job:
    """A Graph Store read as a CONSTRUCT for a remote store (the IRI serialised by pyoxigraph)."""
    where = "{ ?s ?p ?o }" if job.graph is None else f"{{ GRAPH {ox.NamedNode(job.graph)} {{ ?s ?p ?o }} }}"
    return Job("query", f"CONSTRUCT {{ ?s ?p ?o }} WHERE {where}", accept=job.accept, fmt=job.fmt, max_rows=10**9)


def write_as_update(job: Job) -> str:
    """A write job as SPARQL Update text for a remote store, built from parsed terms."""
    if job.kind == "update":
        return job.text
    if job.kind == "drop":
        return f"DROP {_term(job.graph)}"
    fmt = results.GRAPH_TYPES[job.content_type]
    check_rdf_body(job.body, job.content_type)
    try:
        triples = [ox.Triple(t.subject, t.predicate, t.object) for t in ox.parse(job.body, format=fmt)]
    except SyntaxError as exc:
        raise Refusal(400, f"cannot parse the {job.content_type} body: {exc}") from None
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode()
    inner = data if job.graph is None else f"GRAPH {ox.NamedNode(job.graph)} {{ {data} }}"
    clear = f"DROP SILENT {_term(job.graph)} ; " if job.replace else ""
    return f"{clear}INSERT DATA {{ {inner} }}"


def open_backend(settings: Settings) -> Backend:
    """The backend the settings ask for."""
    if settings.store_url:
        return RemoteEndpoint(settings.store_url, size=settings.workers * 2)
    recover(settings.build_dir)  # a build killed inside its one-time migration left no link
    return WorkerPool(
        settings.build_dir,
        settings.workers,
        union=settings.union_default_graph,
        fast_limit=settings.fast_limit,
        max_long=settings.max_long or None,
        writable=settings.admin_token is not None,
        threads=settings.worker_threads or None,
    )
