from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from kg.build import BuildResult, build
from kg.store import open_store
from kg.store import query as run_query

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


@pytest.fixture(scope="session")
def server(built: BuildResult) -> Iterator[str]:
    """A real `kg serve` process on a free loopback port, stopped after the session."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--build", str(built.out)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode() if proc.stdout else ""
                raise RuntimeError(f"kg serve did not start:\n{out}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
