"""Real triple stores for remote-store and federation tests, started on loopback and stopped.

Oxigraph is the `oxigraph` PyPI package's server; Virtuoso is Debian's virtuoso-opensource
(installed by `make setup-system`), run from a copy of its packaged virtuoso.ini whose ports
are on 127.0.0.1 and whose database lives in a temporary directory.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import free_port, running

VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")


@contextmanager
def oxigraph_server(location: Path | None = None) -> Iterator[str]:
    """An `oxigraph serve` on a free loopback port, in memory or on disk at ``location``; yields its base URL."""
    port = free_port()
    binary = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or "oxigraph"
    url = f"http://127.0.0.1:{port}"
    on_disk = ["--location", str(location)] if location is not None else []
    with running([binary, "serve", *on_disk, "--bind", f"127.0.0.1:{port}"], url + "/query?query=ASK%7B%7D"):
        yield url


@contextmanager
def virtuoso_server(workdir: Path) -> Iterator[str]:
    """A fresh Virtuoso (dba/dba) on free loopback ports; yields its base URL."""
    binary = shutil.which("virtuoso-t")
    if binary is None or not VIRTUOSO_INI.is_file():
        raise RuntimeError("virtuoso-opensource is not installed: run 'make setup-system'")
    http_port, sql_port = free_port(), free_port()
    ini = VIRTUOSO_INI.read_text()
    ini = ini.replace("/var/lib/virtuoso-opensource-7/db/", f"{workdir}/")
    ini = re.sub(r"(?m)^ServerPort(\s*)=\s*1111\s*$", rf"ServerPort\g<1>= 127.0.0.1:{sql_port}", ini)
    ini = re.sub(r"(?m)^ServerPort(\s*)=\s*8890\s*$", rf"ServerPort\g<1>= 127.0.0.1:{http_port}", ini)
    # its default refuses queries whose *estimated* cost passes 400 s; the estimate of one library query
    # (projects-by-sdg-target, answered in milliseconds) crossed it now and then
    ini = re.sub(r"(?m)^MaxQueryCostEstimationTime\s*=\s*\d+", "MaxQueryCostEstimationTime = 36000", ini)
    (workdir / "virtuoso.ini").write_text(ini)
    url = f"http://127.0.0.1:{http_port}"
    with running([binary, "-f", "-c", str(workdir / "virtuoso.ini")], url + "/sparql?query=ASK%7B%7D"):
        yield url
