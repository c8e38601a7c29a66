from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from kg.build import BuildResult, build
from kg.store.dataset import open_store
from kg.store.dataset import query as run_query

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
PREFIXES = """
PREFIX sdgkg: <https://w3id.org/sdgkg/ontology#>
PREFIX project: <https://w3id.org/sdgkg/project/>
PREFIX country: <https://w3id.org/sdgkg/country/>
PREFIX organisation: <https://w3id.org/sdgkg/organisation/>
PREFIX group: <https://w3id.org/sdgkg/group/>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX schema: <https://schema.org/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX sdg: <http://metadata.un.org/sdg/>
"""


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """One build of the bundled sources for the whole test session."""
    return build(tmp_path_factory.mktemp("kg") / "build", progress=lambda _m: None)


@pytest.fixture(scope="session")
def store(built: BuildResult) -> ox.Store:
    return open_store(built.out)


def select(store: ox.Store, query: str) -> list[dict[str, str]]:
    """Run a SELECT with the union default graph; rows as {var: lexical value}."""
    result = run_query(store, PREFIXES + query)
    names = [v.value for v in result.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in result]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    """Wait until ``url`` answers (any status), or fail with the process output."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out = Path(proc.log_path).read_text(errors="replace") if hasattr(proc, "log_path") else ""
            raise RuntimeError(f"{proc.args} did not start:\n{out[-3000:]}")
        time.sleep(0.2)


def wait_for(predicate, timeout: float = 60, interval: float = 0.3) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


@contextmanager
def running(args: list[str], url: str, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    """Run a server process until the block ends; it must answer ``url`` first."""
    # the server's output goes to a file: an unread pipe fills up and blocks the server
    log = tempfile.NamedTemporaryFile(prefix="server-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    proc.log_path = log.name  # type: ignore[attr-defined]
    try:
        wait_http(url, proc)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
        os.unlink(log.name)


class ServerURL(str):
    """A server's base URL that also knows its process id and log file."""

    pid: int
    log_path: str

    def log(self) -> str:
        return Path(self.log_path).read_text(errors="replace")

    def workers(self) -> list[int]:
        """Process ids of the server's query workers (forked by its fork server, so grandchildren)."""
        parents: dict[int, int] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
        children = {pid for pid, parent in parents.items() if parent == self.pid}
        return sorted(pid for pid, parent in parents.items() if parent in children)


@contextmanager
def kg_server(build_dir: Path, *options: str, env: dict[str, str] | None = None) -> Iterator[ServerURL]:
    """A real `kg serve` on a free loopback port, with extra options (and environment)."""
    port = free_port()
    url = ServerURL(f"http://127.0.0.1:{port}")
    args = [sys.executable, "-m", "kg.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
            "--build", str(build_dir), *options]
    with running(args, url + "/", env=env) as proc:
        url.pid = proc.pid
        url.log_path = proc.log_path  # type: ignore[attr-defined]
        yield url


@pytest.fixture(scope="session")
def server(built: BuildResult) -> Iterator[str]:
    """The bundled KG served by a real `kg serve` process for the whole session."""
    with kg_server(built.out) as url:
        yield url


class Victim:
    """A loopback HTTP server that counts the requests it gets: the target an SSRF would reach."""

    def __init__(self) -> None:
        import http.server
        import json
        import threading

        victim = self
        self.hits = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                victim.hits += 1
                n = int(self.headers.get("content-length") or 0)
                self.rfile.read(n)
                body = json.dumps({"head": {"vars": ["o"]},
                                   "results": {"bindings": [{"o": {"type": "literal", "value": "x"}}]}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def victim() -> Iterator[Victim]:
    v = Victim()
    yield v
    v.close()
