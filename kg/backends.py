"""Where queries run: the embedded store (killable local workers) or a remote SPARQL endpoint.

Both answer :class:`kg.workers.Job` with :class:`kg.workers.Answer`, so the HTTP layer does not
care which one it talks to.
"""

from __future__ import annotations

from typing import Protocol

import httpx

from kg import results
from kg.settings import Settings
from kg.workers import Answer, Job, WorkerPool, error


class Backend(Protocol):
    """What the server needs from a store."""

    size: int
    store_size: int

    def run(self, job: Job, *, timeout: float, wait: float) -> Answer:
        """Answer a query."""
        ...

    def update(self, text: str, *, timeout: float, wait: float, base_iri: str | None = None) -> Answer:
        """Apply an update."""
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

    def update(self, text: str, *, timeout: float, wait: float, base_iri: str | None = None) -> Answer:
        """Forward an update (the remote store decides whether it accepts it)."""
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


def open_backend(settings: Settings) -> Backend:
    """The backend the settings ask for."""
    if settings.store_url:
        return RemoteEndpoint(settings.store_url, size=settings.workers * 2)
    return WorkerPool(settings.build_dir, settings.workers, union=settings.union_default_graph)
