"""The store a build is served from: in memory, or the build's own on-disk pyoxigraph store.

Serving from memory is ~3x faster than from pyoxigraph's on-disk store for small builds, but
each worker then holds the whole dataset and loads it at start. ``kg build`` therefore also
writes ``store/``, a RocksDB store the workers open read-only: start-up in milliseconds and
memory shared through the page cache. ``SDGKG_STORE_MODE`` chooses: ``memory``, ``disk``, or
``auto`` (disk from ``SDGKG_DISK_QUADS`` quads, 200,000 by default).
The default graph is the union of all named graphs, materialised as a set: pyoxigraph's
``use_default_graph_as_union`` repeats a triple once per graph that holds it, which would
inflate counts (a project stated by three sources would count three times).
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pyoxigraph as ox

from kg.errors import KgError
from kg.parallel import die_with_parent

DATASET_FILE = "dataset.nq"
STORE_DIR = "store"
STORE_MODES = ("auto", "memory", "disk")


class StoreWriter:
    """Writes a build's on-disk store in a background thread while the build goes on.

    pyoxigraph's bulk loader releases the GIL, so on two cores the store costs the build little
    wall time. Blobs of N-Quads (named graphs) or N-Triples (the union, in the default graph) are
    loaded in the order given; ``finish`` waits, flushes and closes the store.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.error: BaseException | None = None
        self._store: ox.Store | None = ox.Store(str(path))
        self._queue: queue.Queue[tuple[bytes, ox.RdfFormat] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._load, name="store-writer", daemon=True)
        self._thread.start()

    def put(self, blob: bytes, fmt: ox.RdfFormat) -> None:
        """Queue a blob to load."""
        self._queue.put((blob, fmt))

    def _load(self) -> None:
        while (item := self._queue.get()) is not None:
            if self.error is None and self._store is not None:
                try:
                    self._store.bulk_load(item[0], format=item[1])
                except BaseException as exc:  # noqa: BLE001 - re-raised by finish() in the build's thread
                    self.error = exc

    def finish(self) -> int:
        """Wait for every blob; return the store's quad count."""
        self._queue.put(None)
        self._thread.join()
        if self.error is not None or self._store is None:
            raise KgError(f"{self.path}: cannot write the on-disk store ({self.error})")
        self._store.flush()
        count = len(self._store)
        self._store = None  # closes the RocksDB instance
        return count

    def abandon(self) -> None:
        """Stop loading (a failed build removes the folder after)."""
        self.error = self.error or KgError("abandoned")
        self._queue.put(None)
        self._thread.join()
        self._store = None


SYNTAXES = {
    "nquads": ox.RdfFormat.N_QUADS,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "trig": ox.RdfFormat.TRIG,
    "turtle": ox.RdfFormat.TURTLE,
    "jsonld": ox.RdfFormat.JSON_LD,
}


class Conversion:
    """An RDF file rewritten in other syntaxes by a child process, beside the build's own work.

    pyoxigraph's serialisers hold the GIL (every quad passes through Python), so threads would
    not overlap them; a process does. ``wait`` raises with the child's message if it failed.
    """

    def __init__(  # noqa: PLR0913
        self,
        src: Path,
        syntax: str,
        targets: list[tuple[Path, str]],
        prefixes: dict[str, str],
        sort: str | None = None,
    ) -> None:
        """Start the child: ``sort`` the lines of ``src`` first ("line", or "graph" for N-Quads by graph)."""
        spec = {
            "src": str(src),
            "syntax": syntax,
            "sort": sort,
            "targets": [[str(p), s] for p, s in targets],
            "prefixes": prefixes,
            "parent": os.getpid(),
        }
        self.targets = targets
        self._proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-c", "from kg.store.dataset import _convert_main; _convert_main()", json.dumps(spec)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def wait(self) -> None:
        """Wait for the child; a failure names the files."""
        _out, err = self._proc.communicate()
        if self._proc.returncode != 0:
            names = ", ".join(p.name for p, _ in self.targets)
            raise KgError(f"cannot write {names}: {err.decode('utf-8', 'replace').strip()[-500:]}")

    def kill(self) -> None:
        """Stop the child (a failed build)."""
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()


def _graph_of(line: bytes) -> bytes:
    return line.rsplit(b" ", 2)[-2]  # "<s> <p> <o> <g> .": the graph term


def _convert_main() -> None:
    """A child of :class:`Conversion`: sort the lines if asked, then write each target."""
    spec = json.loads(sys.argv[1])
    die_with_parent(spec["parent"])
    data = Path(spec["src"]).read_bytes()
    if spec["sort"] == "line":  # one deterministic order, whatever the order of the build's sets
        lines = data.splitlines(keepends=True)
        lines.sort()
        data = b"".join(lines)
        del lines
    elif spec["sort"] == "graph":  # by graph, then line: TriG gets one block per graph
        by_graph: dict[bytes, list[bytes]] = {}
        for line in data.splitlines(keepends=True):
            by_graph.setdefault(_graph_of(line), []).append(line)
        data = b"".join(line for graph in sorted(by_graph) for line in sorted(by_graph[graph]))
        del by_graph
    for target, syntax in spec["targets"]:
        if syntax == spec["syntax"]:
            Path(target).write_bytes(data)  # the sorted source itself
            continue
        prefixes = spec["prefixes"] if syntax in ("trig", "turtle") else None
        ox.serialize(ox.parse(data, format=SYNTAXES[spec["syntax"]]), target, SYNTAXES[syntax], prefixes=prefixes)


def sha256(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def summary_facts(build_dir: Path) -> dict[str, object]:
    """The dataset facts a build's ``summary.json`` records (size, checksum, quads, store quads)."""
    try:
        summary = json.loads((Path(build_dir) / "summary.json").read_text(encoding="utf-8"))
        facts = dict(summary["dataset"])
        if isinstance(summary.get("store"), dict):
            facts["store_quads"] = summary["store"].get("quads")
    except (OSError, ValueError, KeyError, TypeError):
        raise KgError(
            f"{build_dir}/summary.json is missing or has no dataset checksum: rebuild with 'kg build'"
        ) from None
    return facts


def verify_build(build_dir: Path) -> dict[str, object]:
    """The dataset facts of ``summary.json``, after checking ``dataset.nq`` against them.

    A build is served only when its dataset has the size and checksum its own summary records:
    an emptied, truncated or replaced file is refused with what to do.
    """
    build_dir = Path(build_dir)
    path = build_dir / DATASET_FILE
    if not path.is_file():
        raise KgError(f"{path} not found: run 'kg build --out {build_dir}' first")
    facts = summary_facts(build_dir)
    size = path.stat().st_size
    if size != facts.get("bytes"):
        raise KgError(f"{path} has {size} bytes, its summary.json says {facts.get('bytes')}: rebuild with 'kg build'")
    if sha256(path) != facts.get("sha256"):
        raise KgError(f"{path} does not match the SHA-256 in its summary.json: rebuild with 'kg build'")
    return facts


def store_mode(build_dir: Path, facts: dict[str, object], union_default_graph: bool) -> str:
    """``memory`` or ``disk``: how this build is served (see the module docstring)."""
    mode = os.environ.get("SDGKG_STORE_MODE", "auto")
    if mode not in STORE_MODES:
        raise KgError(f"SDGKG_STORE_MODE={mode!r}: use one of {', '.join(STORE_MODES)}")
    has_disk = (Path(build_dir) / STORE_DIR).is_dir() and isinstance(facts.get("store_quads"), int)
    if mode == "disk" and not (has_disk and union_default_graph):
        raise KgError(
            f"{build_dir} has no on-disk store (or the default graph is not the union): rebuild with "
            "'kg build', or serve with SDGKG_STORE_MODE=memory"
        )
    threshold = int(os.environ.get("SDGKG_DISK_QUADS", "200000"))
    big = int(facts.get("quads", 0)) >= threshold  # type: ignore[call-overload]
    return "disk" if mode == "disk" or (mode == "auto" and has_disk and union_default_graph and big) else "memory"


def open_store(
    build_dir: Path, *, union_default_graph: bool = True, writable: bool = False, checked: bool = False
) -> ox.Store:
    """Open a build's store (read-only on disk, or loaded into memory), or fail with what to do.

    The dataset is checked against its build's summary first (size, SHA-256) and the opened
    store against its quad count. With ``union_default_graph`` the default graph holds the union
    of the named graphs; without it the default graph is empty (reach data with GRAPH or FROM).
    ``writable`` (updates enabled) always loads into memory. ``checked``: another process
    already checked this build; an on-disk store is then opened at once (0.75 s less at 10^6 quads).
    """
    path = Path(build_dir) / DATASET_FILE
    facts = summary_facts(Path(build_dir)) if checked else verify_build(Path(build_dir))
    if not writable and store_mode(build_dir, facts, union_default_graph) == "disk":
        where = Path(build_dir) / STORE_DIR
        try:
            disk = ox.Store.read_only(str(where))
            count = facts["store_quads"] if checked else len(disk)
        except OSError as exc:
            raise KgError(f"{where}: cannot open the on-disk store ({exc}); rebuild with 'kg build'") from exc
        if count != facts["store_quads"]:
            raise KgError(f"{where}: holds {count} quads, its summary.json says {facts['store_quads']}")
        return disk
    store = ox.Store()
    try:
        store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
    except (SyntaxError, ValueError, OSError) as exc:
        raise KgError(f"{path}: cannot load the dataset ({exc}); rebuild with 'kg build'") from exc
    if len(store) != facts.get("quads"):
        raise KgError(f"{path}: loaded {len(store)} quads, its summary.json says {facts.get('quads')}")
    if union_default_graph:
        store.update("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
    return store


def query(store: ox.Store, sparql: str) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
    """Evaluate a query; the default graph is the (de-duplicated) union of the named graphs."""
    return store.query(sparql)
