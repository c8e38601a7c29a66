"""Query execution in killable worker processes.

pyoxigraph cannot cancel a running query and ignores signals, and a pathological query can
crash the process. So every query runs in a worker process holding the store (its own
in-memory copy, or the on-disk store opened read-only); the server waits at most the timeout
and then kills and replaces the worker. The number of workers (slots) is the concurrency
limit; slots over an on-disk store are threads of one process. Updates (admin only) are
applied to every worker and logged, so a replacement worker replays them and all workers stay
identical.
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import KgError
from kg.server import results
from kg.server.guard import Refusal, ServicePolicy, check_rdf_body, check_update, mentions_service
from kg.store.dataset import open_store, store_mode, summary_facts

WRITES = ("update", "load", "drop")


@dataclass
class Job:
    """One request for a worker.

    ``kind`` is "query", "update" (SPARQL Update), or a Graph Store operation built from terms,
    never from spliced text: "graph" (read ``graph``; None = the default graph), "load" (parse
    ``body`` into ``graph``, replacing it when ``replace``) or "drop" (remove ``graph``).
    """

    kind: str
    text: str = ""
    accept: str | None = None
    fmt: str | None = None
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    max_rows: int = 100_000
    base_iri: str | None = None
    graph: str | None = None
    body: bytes = b""
    content_type: str = ""
    replace: bool = False
    policy: ServicePolicy | None = None  # set for updates: what they may do


@dataclass
class Answer:
    """A worker's answer: HTTP status, body, media type."""

    status: int
    body: bytes
    media_type: str = "application/json"


def error(status: int, message: str) -> Answer:
    """An error answer with a JSON body."""
    import json

    return Answer(status, json.dumps({"error": message, "status": status}).encode())


# --------------------------------------------------------------------------- worker side


def _graph(name: str) -> ox.NamedNode | ox.DefaultGraph:
    return ox.DefaultGraph() if name == "" else ox.NamedNode(name)


def recompute_union(store: ox.Store) -> None:
    """Make the default graph the union of the named graphs again (each triple once)."""
    store.update("DROP DEFAULT ; INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")


def _has_graph(store: ox.Store, name: str) -> bool:
    return store.contains_named_graph(ox.NamedNode(name))


def _read_graph(store: ox.Store, job: Job) -> Answer:
    target: ox.NamedNode | ox.DefaultGraph = ox.DefaultGraph() if job.graph is None else ox.NamedNode(job.graph)
    if job.graph is not None and not _has_graph(store, job.graph):
        return error(404, f"no graph <{job.graph}> in this dataset")
    mime = results.negotiate(job.accept, list(results.GRAPH_TYPES)[:4], job.fmt)
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, target)]
    return Answer(200, ox.serialize(triples, format=results.GRAPH_TYPES[mime]) or b"", mime)


def _write(store: ox.Store, job: Job, union: bool) -> Answer:
    """Apply a write job; with a union default graph, recompute it afterwards."""
    if job.kind == "update":
        if job.policy is not None:
            check_update(job.text, job.policy, union=union)
        store.update(job.text, base_iri=job.base_iri)
    elif job.kind == "drop":
        if job.graph is None:
            store.clear_graph(ox.DefaultGraph())
        elif not _has_graph(store, job.graph):
            return error(404, f"no graph <{job.graph}> in this dataset")
        else:
            store.remove_graph(ox.NamedNode(job.graph))
    else:  # load
        fmt = results.GRAPH_TYPES[job.content_type]
        check_rdf_body(job.body, job.content_type)
        target: ox.NamedNode | ox.DefaultGraph = ox.DefaultGraph() if job.graph is None else ox.NamedNode(job.graph)
        try:
            quads = [ox.Quad(t.subject, t.predicate, t.object, target) for t in ox.parse(job.body, format=fmt)]
        except SyntaxError as exc:
            return error(400, f"cannot parse the {job.content_type} body: {exc}")
        if job.replace:
            store.clear_graph(target)
        store.extend(quads)
        if job.graph is not None and not quads:
            store.add_graph(target)
    if union:
        recompute_union(store)
    return Answer(204, b"", "text/plain")


def evaluate(store: ox.Store, job: Job, union: bool = True) -> Answer:
    """Run one job against a store (in the worker process); never raises."""
    try:
        if job.kind in WRITES:
            return _write(store, job, union)
        if job.kind == "graph":
            return _read_graph(store, job)
        return _query(store, job)
    except Refusal as r:
        return error(r.status, r.message)
    except results.NotAcceptable as exc:
        return error(406, str(exc))
    except SyntaxError as exc:
        return error(400, f"malformed {'update' if job.kind == 'update' else 'query'}: {exc}{_hint(job)}")
    except (ValueError, TypeError) as exc:
        return error(400, f"bad request: {exc}")
    except OSError as exc:  # an in-memory store does no I/O of its own: this is a SERVICE call failing
        if mentions_service(job.text):
            return error(502, f"a SERVICE endpoint could not be reached or failed: {exc}")
        return error(500, f"query failed: {exc}")
    except Exception as exc:  # noqa: BLE001 - the engine's own errors (RuntimeError…) must not kill the worker
        return error(400 if job.kind in WRITES else 500, f"{job.kind} failed: {exc}")


_FORM = re.compile(r"^\s*(?:(?:#[^\n]*\n|PREFIX\s+\S*:\s*<[^>]*>|BASE\s+<[^>]*>)\s*)*([A-Za-z]+)", re.IGNORECASE)
QUERY_FORMS = ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")


def _hint(job: Job) -> str:
    """Say what is wrong when the query form itself is misspelt ('SELEC …' reads as 'expected CONSTRUCT')."""
    if job.kind != "query":
        return ""
    m = _FORM.match(job.text)
    if m and m.group(1).upper() not in QUERY_FORMS:
        return f" (a query starts with SELECT, CONSTRUCT, ASK or DESCRIBE after its PREFIX lines, not {m.group(1)!r})"
    return ""


def _query(store: ox.Store, job: Job) -> Answer:
    kwargs: dict[str, Any] = {"base_iri": job.base_iri}
    if job.default_graphs:
        kwargs["default_graph"] = [_graph(g) for g in job.default_graphs]
    if job.named_graphs:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
        if not job.default_graphs:
            kwargs["default_graph"] = []  # SPARQL 1.1 Protocol: named only -> empty default graph
    result = store.query(job.text, **kwargs)
    if isinstance(result, ox.QueryBoolean):
        mime = results.negotiate(job.accept, list(results.SELECT_TYPES), job.fmt)
        return Answer(200, results.write_ask(bool(result), results.SELECT_TYPES[mime]), mime)
    if isinstance(result, ox.QuerySolutions):
        mime = results.negotiate(job.accept, list(results.SELECT_TYPES), job.fmt)
        kind = results.SELECT_TYPES[mime]
        bound = results.row_bound(job.text)
        if bound is not None and bound <= min(job.max_rows, 1000):  # bounded: written without the GIL
            return Answer(200, result.serialize(format=results.NATIVE_SELECT[kind]) or b"", mime)
        sink = results.CappedSink(results.byte_cap(job.max_rows))
        try:
            result.serialize(sink, format=results.NATIVE_SELECT[kind])
        except (OSError, results.ResultTooLarge):
            if not sink.over:
                raise
            return error(
                413,
                f"more than {job.max_rows} result rows or {sink.cap >> 20} MB; add a LIMIT or narrow the query",
            )
        body = sink.value()
        if results.rows_over(body, kind, job.max_rows):
            return error(413, f"more than {job.max_rows} result rows; add a LIMIT or narrow the query")
        return Answer(200, body, mime)
    mime = results.negotiate(job.accept, list(results.GRAPH_TYPES)[:4], job.fmt)
    triples = []
    for t in result:
        triples.append(t)
        if len(triples) > job.max_rows:
            return error(413, f"more than {job.max_rows} triples; add a LIMIT or narrow the query")
    return Answer(200, ox.serialize(triples, format=results.GRAPH_TYPES[mime]) or b"", mime)


def _die_with_parent() -> None:
    """A runaway query must not outlive the server.

    Workers are forked by the fork server, which exits when the server's end of its "alive"
    pipe closes; every child inherits a copy of that end, so the worker closes its copy, and
    asks Linux to kill it when the fork server (its parent) exits.
    """
    from multiprocessing import forkserver

    alive = getattr(getattr(forkserver, "_forkserver", None), "_forkserver_alive_fd", None)
    if isinstance(alive, int):
        try:
            os.close(alive)
        except OSError:
            pass
        forkserver._forkserver._forkserver_alive_fd = None  # type: ignore[attr-defined]
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent is already gone
            os._exit(1)
    except (OSError, AttributeError):
        pass  # not Linux: the server's shutdown still kills every worker it started


def _limit_memory() -> None:
    """Cap the worker's address space (``SDGKG_WORKER_MEMORY_MB``): a query or upload that explodes fails alone."""
    limit_mb = int(os.environ.get("SDGKG_WORKER_MEMORY_MB", "4096") or 0)
    if limit_mb > 0:
        import resource

        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit_mb << 20, limit_mb << 20))
        except (ValueError, OSError):
            pass  # a lower hard limit is already in force


def _host_main(
    conns: list[Connection], build_dir: str, replay: list[Job], union: bool, writable: bool, checked: bool
) -> None:
    """Worker process: open the store, replay logged writes, then answer jobs on every pipe until EOF.

    Each pipe (a slot) is served by its own thread over the one store: pyoxigraph releases the
    GIL while it evaluates, and threads of one process share the on-disk store's block cache.
    """
    _die_with_parent()
    _limit_memory()
    try:
        store = open_store(Path(build_dir), union_default_graph=union, writable=writable, checked=checked)
        for job in replay:
            evaluate(store, job, union)
        size = -1 if checked else len(store)
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails start-up
        for conn in conns:
            conn.send(("failed", str(exc)))
        return
    threads = [threading.Thread(target=_serve, args=(conn, store, union, size)) for conn in conns[1:]]
    for thread in threads:
        thread.start()
    _serve(conns[0], store, union, size)  # the main thread serves the first slot
    for thread in threads:
        thread.join()


def _serve(conn: Connection, store: ox.Store, union: bool, size: int) -> None:
    """One slot: say ready (with the thread's id, for its CPU priority), then answer jobs until EOF."""
    try:
        conn.send(("ready", size, threading.get_native_id()))
        while True:
            job = conn.recv()
            conn.send(evaluate(store, job, union))
    except (EOFError, OSError, KeyboardInterrupt):
        return


# --------------------------------------------------------------------------- parent side


class Host:
    """One worker process holding one store, answering on ``slots`` pipes (one thread each).

    Killing it stops every query it runs, so a process of several slots is never killed for one
    query: it is retired instead (given no more jobs), and stopped once no query it still runs
    is awaited. ``checked``: the build was checked by an earlier process (opened at once).
    """

    def __init__(
        self, build_dir: Path, replay: list[Job], generation: int = 0, *, slots: int = 1, union: bool = True,
        writable: bool = False, checked: bool = False,
    ) -> None:  # fmt: skip
        ctx = _context()
        pipes = [ctx.Pipe() for _ in range(max(1, slots))]
        args = ([child for _, child in pipes], str(build_dir), list(replay), union, writable, checked)
        self.process = ctx.Process(target=_host_main, args=args, daemon=True)
        self.process.start()
        for _, child in pipes:
            child.close()
        self.generation = generation
        self.workers = [Worker(conn, self, generation) for conn, _ in pipes]
        self.retired = False  # takes no new job; stopped once no query it runs is awaited
        self.busy = 0  # queries running here whose answer is awaited

    def wait_ready(self, timeout: float = 120.0) -> int:
        """Block until every slot is ready; return the store's size."""
        size = 0
        for worker in self.workers:
            size = worker.wait_ready(timeout)
        return size

    @property
    def shared(self) -> bool:
        """Whether several slots share the process (then one query is never stopped by killing it)."""
        return len(self.workers) > 1

    def kill(self) -> None:
        """Stop the process at once (every slot with it)."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        for worker in self.workers:
            worker.conn.close()

    @property
    def alive(self) -> bool:
        """Whether the process still runs."""
        return self.process.is_alive()


def start_worker(build_dir: Path, replay: list[Job] | None = None) -> Worker:
    """A single worker in a process of its own (for one-off queries outside the server)."""
    return Host(Path(build_dir), list(replay or [])).workers[0]


class Worker:
    """One slot of a worker process: a pipe to the thread that answers on it."""

    def __init__(self, conn: Connection, host: Host, generation: int = 0) -> None:
        self.conn = conn
        self.host = host
        self.generation = generation
        self.tid: int | None = None
        self.ready = False
        self.abandoned = False  # its query was given up (past its deadline): the slot is not reused

    @property
    def process(self) -> Any:
        """The worker process this slot belongs to."""
        return self.host.process

    def wait_ready(self, timeout: float = 120.0) -> int:
        """Block until the store is loaded; return its size."""
        try:
            if not self.conn.poll(timeout):
                self.kill()
                raise KgError(f"a query worker did not load the store within {timeout:.0f} s")
            status, detail, *tid = self.conn.recv()
        except (EOFError, OSError) as exc:
            self.kill()
            raise KgError(f"a query worker died while loading the store ({exc})") from None
        if status != "ready":
            self.kill()
            raise KgError(f"a query worker could not load the store: {detail}")
        self.tid = tid[0] if tid else None
        self.ready = True
        return int(detail)

    def run(self, job: Job, timeout: float) -> Answer | None:
        """The answer, or None if the worker ran out of time or died (it is then dead)."""
        return self.wait(timeout) if self.send(job) else None

    def send(self, job: Job) -> bool:
        """Hand a job to the worker; False (and the worker is dead) if it cannot take it."""
        try:
            self.conn.send(job)
            return True
        except (OSError, ValueError):
            self.kill()
            return False

    def wait(self, timeout: float, *, kill: bool = True) -> Answer | None:
        """The answer within ``timeout``; None when there is none (killed unless ``kill`` is False)."""
        try:
            if self.conn.poll(timeout):
                return self.conn.recv()
            if not kill and self.alive:
                return None
        except (EOFError, OSError, ValueError):
            pass
        self.kill()
        return None

    async def wait_async(self, timeout: float) -> Answer | None:
        """The answer within ``timeout``, awaited on the pipe without a thread.

        None when there is none yet (the worker is not killed) or the worker died.
        """
        import asyncio

        if not self.conn.poll(0):
            loop = asyncio.get_running_loop()
            ready = loop.create_future()
            fd = self.conn.fileno()
            loop.add_reader(fd, lambda: ready.done() or ready.set_result(True))
            try:
                await asyncio.wait_for(ready, timeout)
            except TimeoutError:
                return None
            finally:
                loop.remove_reader(fd)
                os.set_blocking(fd, True)  # uvloop leaves a watched fd non-blocking: recv must block
        try:
            return self.conn.recv()
        except (EOFError, OSError, ValueError):
            return None

    def nice(self, value: int) -> bool:
        """Set the CPU priority of the thread answering on this slot; False if the system refuses."""
        try:
            os.setpriority(os.PRIO_PROCESS, self.tid or self.process.pid, value)
            return True
        except (OSError, TypeError):
            return False

    def kill(self) -> None:
        """Stop the worker process at once (with every slot it has)."""
        self.host.kill()

    @property
    def alive(self) -> bool:
        """Whether the slot can still answer: its process runs and its pipe is open."""
        return not self.conn.closed and not self.abandoned and self.host.alive


def resolved(build_dir: Path) -> Path:
    """The directory a build path points to now (``build`` is a symlink swapped atomically)."""
    return Path(os.path.realpath(build_dir))


class WorkerPool:
    """A fixed number of workers (slots); a killed worker is replaced in the background.

    A store loaded into memory is one process a slot. An on-disk store (read-only, opened in
    a moment) is shared by the slots of one process, each a thread: they share its block cache
    (a scan-heavy group-by at 10^6 quads: 5.5 queries a second as four threads, 4.5 as four
    processes, bench/README). Such a process is never killed for one query: a query past its
    deadline is given up, at the lowest priority, and its process retired (a fresh one takes new
    queries) until it ends with the last query still awaited there. Since a thread costs next to
    nothing there, that process gets one slot more than asked, kept for queries not known to run
    long: ``size`` long queries may run at once and a cheap one still finds a slot (in memory, one
    of the ``size`` processes is kept for them instead).

    A watcher notices a new build (``kg build`` swaps ``build/`` in atomically) and loads it into a
    fresh generation of workers; only when all of them are ready do they replace the old ones,
    so a failed or partial load never replaces the store being served. Workers load the build's
    resolved directory, so the files they read never change under them.
    """

    def __init__(
        self,
        build_dir: Path,
        size: int,
        *,
        watch_interval: float = 2.0,
        union: bool = True,
        fast_limit: float = 1.0,
        max_long: int | None = None,
        writable: bool = False,
        threads: int | None = None,
    ) -> None:
        self.build_dir = Path(build_dir)
        self.threads = threads  # slots a process; None: all of them on disk, one in memory
        self.writable = writable  # updates enabled: workers load into memory (an on-disk store is read-only)
        self.fast_limit = fast_limit
        self.max_long = max(1, size - 1) if max_long is None else max(1, max_long)
        self._long = 0
        self._long_queries: OrderedDict[str, None] = OrderedDict()  # queries seen running long (LRU)
        self.union = union
        self.size = max(1, size)
        self.updates: list[Job] = []
        self.generation = 0
        self.last_reload_error: str | None = None
        self._idle: list[Worker] = []
        self._all: set[Host] = set()  # every process started, busy or idle: all are stopped on close
        self._cond = threading.Condition()
        self._stopped = False
        self._version = self._dataset_version()
        self.serving = resolved(self.build_dir)
        if max_long is None and self.threads is None and self._shares_store(self.serving):
            self.size += 1  # the slot kept for quick queries: a thread, not a process
            self.max_long = self.size - 1
        hosts = self._start_all(self.serving, 0)
        self.store_size = 0
        try:
            for host in hosts:
                self.store_size = host.wait_ready()
        except KgError:
            for host in hosts:
                host.kill()
            raise
        self._idle = [w for host in hosts for w in host.workers]
        if watch_interval > 0:
            threading.Thread(target=self._watch, args=(watch_interval,), daemon=True).start()

    def _shares_store(self, build_dir: Path) -> bool:
        """Whether slots can share one store: the build is served from disk, read-only."""
        if self.writable:
            return False  # updates are applied to every slot: each needs its own store
        try:
            return store_mode(build_dir, summary_facts(build_dir), self.union) == "disk"
        except KgError:
            return False  # the process will say what is wrong with the build

    def _slots_per_host(self, build_dir: Path) -> int:
        """Threads a process: every slot in one process for an on-disk store, else one."""
        if not self._shares_store(build_dir):
            return 1
        return max(1, self.threads) if self.threads else self.size

    def _start_all(self, build_dir: Path, generation: int) -> list[Host]:
        per = self._slots_per_host(build_dir)
        counts = [min(per, self.size - i) for i in range(0, self.size, per)]
        return [self._start(build_dir, [], generation, n) for n in counts]

    def _start(self, build_dir: Path, replay: list[Job], generation: int, slots: int, checked: bool = False) -> Host:
        host = Host(
            build_dir, replay, generation, slots=slots, union=self.union, writable=self.writable, checked=checked
        )
        with self._cond:
            self._all = {h for h in self._all if h.alive} | {host}
        return host

    def _dataset_version(self) -> tuple[str, int, int, int] | None:
        try:
            real = resolved(self.build_dir)
            st = (real / "dataset.nq").stat()
        except OSError:
            return None
        return (str(real), st.st_ino, st.st_mtime_ns, st.st_size)

    def _watch(self, interval: float) -> None:
        while not self._stopped:
            time.sleep(interval)
            version = self._dataset_version()
            if version is not None and version != self._version:
                self._version = version  # a failed load is not retried until the build changes again
                self.reload()

    def reload(self) -> bool:
        """Load the build into new workers and swap them in; False (old store kept) on failure."""
        target = resolved(self.build_dir)
        fresh = self._start_all(target, self.generation + 1)
        try:
            sizes = [host.wait_ready() for host in fresh]
        except KgError as exc:
            for host in fresh:
                host.kill()
            self.last_reload_error = str(exc)
            print(f"sdgkg: new build not loaded, still serving the previous one: {exc}", flush=True)
            return False
        with self._cond:
            if self._stopped:
                old = fresh
            else:
                self.generation += 1
                old = list(self._all - set(fresh))
                self._idle = [w for host in fresh for w in host.workers]
                self.updates = []
                self.serving = target
                self.store_size = sizes[-1]
                self.last_reload_error = None
                self._cond.notify_all()
            for host in old:
                host.retired = True  # its running queries finish on the build they started on
            idle_old = [host for host in old if host.busy == 0]
        for host in idle_old:
            host.kill()
        print(f"sdgkg: loaded the new build ({self.store_size} quads, generation {self.generation})", flush=True)
        return True

    def _acquire(self, wait: float) -> Worker | None:
        """A live idle worker; one found dead (killed from outside) is replaced, not handed out."""
        deadline = time.monotonic() + wait
        with self._cond:
            while True:
                worker = self._take_idle()
                if worker is not None:
                    return worker
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stopped:
                    return None
                self._cond.wait(remaining)

    def _release(self, worker: Worker) -> None:
        """A slot's job is done: back to the idle ones, or its process is stopped once drained."""
        host = worker.host
        with self._cond:
            host.busy -= 1
            if worker.generation == self.generation and not self._stopped and worker.alive and not host.retired:
                self._idle.append(worker)
                self._cond.notify()
                return
            drained = host.busy <= 0
        if not worker.abandoned and not worker.alive:
            self._retire(host)  # died: replaced
        if drained and host.retired or not host.alive:
            host.kill()  # a process of a replaced build, or retired, ends once its queries are done

    def _retire(self, host: Host) -> None:
        """Give no more jobs to ``host``, start a process to replace it, stop it once it is idle."""
        with self._cond:
            if host.retired:
                return
            host.retired = True
            self._idle = [w for w in self._idle if w.host is not host]
            current = host.generation == self.generation and not self._stopped
            idle = host.busy <= 0
        if idle:
            host.kill()
        if current:
            self._replace(len(host.workers))

    def _replace(self, slots: int = 1) -> None:
        """Start a new process of ``slots`` workers (replaying writes) and add them when ready."""
        generation, serving, replay = self.generation, self.serving, list(self.updates)

        def start() -> None:
            try:
                host = self._start(serving, replay, generation, slots, checked=True)
                host.wait_ready()
            except KgError:
                return
            with self._cond:
                if generation == self.generation and not self._stopped:
                    self._idle.extend(host.workers)
                    self._cond.notify_all()
                    return
            host.kill()

        threading.Thread(target=start, daemon=True).start()

    def run(self, job: Job, *, timeout: float, wait: float) -> Answer:
        """Run a job on a free worker; ``timeout`` counts from arrival, queue wait included.

        Cost-aware admission: a query still running after ``fast_limit`` seconds is a long
        query. At most ``max_long`` long queries run at once (by default all slots but one),
        at low CPU priority, so runaway clients can never hold every worker and cheap requests
        always find one. A query past the limit when the long slots are full is stopped with
        503 + Retry-After, and the pool remembers it: the same query sent again is admitted
        straight into a long slot when one frees up within the queue wait (taking no worker while
        it waits), else refused (503).
        """
        arrived = time.monotonic()
        key = _cost_key(job)
        known_long = key is not None and key in self._long_queries
        if known_long and not self._take_long_slot(min(wait, timeout)):
            return busy(self.size, self._long_message("this query ran long before, and"))
        try:
            worker = self._acquire(max(0.0, min(wait, timeout) - (time.monotonic() - arrived)))
            if worker is None:
                return busy(self.size)
            answer = self._evaluate(worker, job, arrived + timeout, known_long, key)
        finally:
            if known_long:
                self._free_long_slot()
        return self._finish(answer, worker, arrived, timeout)

    async def run_async(self, job: Job, *, timeout: float, wait: float) -> Answer:
        """:meth:`run` for the event loop, without a thread in the common case.

        A query a free worker answers within the fast limit takes no thread: the loop waits on
        the worker's pipe. Anything else (no idle worker, a query known to run long, one passing
        the fast limit) continues in a thread exactly as in ``run``.
        """
        from starlette.concurrency import run_in_threadpool

        key = _cost_key(job)
        worker = None if key is not None and key in self._long_queries else self._take_idle()
        if worker is None:
            return await run_in_threadpool(self.run, job, timeout=timeout, wait=wait)
        arrived = time.monotonic()
        deadline = arrived + timeout
        answer: Answer | Refusal | None = None
        try:
            if worker.send(job):
                answer = await worker.wait_async(max(0.0, min(self.fast_limit, timeout)))
                if answer is None and worker.alive and time.monotonic() < deadline:
                    answer = await run_in_threadpool(self._past_fast_limit, worker, deadline, key)
                elif answer is None:
                    self._stop(worker)
        except BaseException:  # cancelled mid-query: the worker's state is unknown
            self._stop(worker)
            self._release(worker)
            raise
        return self._finish(answer, worker, arrived, timeout)

    def _stop(self, worker: Worker) -> None:
        """Stop the worker's query: kill its process, or, when slots share it, give the query up.

        A shared process is retired (a fresh one takes new jobs) and killed once no query it
        still runs is awaited; the query given up runs on at the lowest CPU priority until then.
        """
        if not worker.host.shared or not worker.alive:
            worker.kill()
            return
        worker.abandoned = True
        worker.nice(19)
        self._retire(worker.host)

    def _take_idle(self) -> Worker | None:
        """A live idle worker now, or None (dead ones found are replaced)."""
        while True:
            with self._cond:
                if not self._idle:
                    return None
                worker = self._idle.pop()
                if worker.alive:
                    worker.host.busy += 1
                    return worker
            self._retire(worker.host)  # killed from outside: replaced

    def _finish(self, answer: Answer | Refusal | None, worker: Worker, arrived: float, timeout: float) -> Answer:
        """The HTTP answer for a finished job; the worker goes back to the pool or is replaced."""
        self._release(worker)
        if isinstance(answer, Refusal):
            return busy(self.size, answer.message)
        if answer is None:
            if time.monotonic() >= arrived + timeout - 0.05:
                return error(504, f"query stopped after the {timeout:g} s timeout")
            return error(500, f"the query crashed its worker process{_why(worker)} (it has been replaced)")
        return answer

    def _evaluate(
        self, worker: Worker, job: Job, deadline: float, known_long: bool, key: str | None
    ) -> Answer | Refusal | None:
        """Send the job and wait: fast first, then (with a long slot) at low priority until the deadline."""
        try:
            if not worker.send(job):
                return None
            if known_long:
                return self._wait_long(worker, deadline)
            answer = worker.wait(max(0.0, min(self.fast_limit, deadline - time.monotonic())), kill=False)
            if answer is not None or not worker.alive or time.monotonic() >= deadline:
                if answer is None:
                    self._stop(worker)
                return answer
            return self._past_fast_limit(worker, deadline, key)
        except BaseException:
            self._stop(worker)
            self._release(worker)
            raise

    def _past_fast_limit(self, worker: Worker, deadline: float, key: str | None) -> Answer | Refusal | None:
        """A query still running at the fast limit: remembered, then given a long slot or stopped."""
        try:
            self._remember_long(key)
            if not self._take_long_slot():
                self._stop(worker)
                return Refusal(503, self._long_message(f"this query ran past {self.fast_limit:g} s while"))
            try:
                return self._wait_long(worker, deadline)
            finally:
                self._free_long_slot()
        except BaseException:
            self._stop(worker)
            self._release(worker)
            raise

    def _wait_long(self, worker: Worker, deadline: float) -> Answer | None:
        """Wait for a long query at low CPU priority (of its thread: other slots are not slowed)."""
        worker.nice(10)  # long queries yield the CPU to cheap ones
        answer = worker.wait(max(0.0, deadline - time.monotonic()), kill=False)
        if answer is None and worker.alive:
            self._stop(worker)  # past its deadline
        elif answer is not None and not worker.host.retired and not worker.nice(0):
            self._retire(worker.host)  # cannot restore its priority: replaced, stopped once released
        return answer

    def _long_message(self, why: str) -> str:
        return f"{why} {self.max_long} long queries are already running: retry in {RETRY_AFTER} s, or narrow the query"

    def _take_long_slot(self, wait: float = 0.0) -> bool:
        """A long slot, waiting up to ``wait`` seconds for one to free up."""
        deadline = time.monotonic() + wait
        with self._cond:
            while self._long >= self.max_long:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stopped:
                    return False
                self._cond.wait(remaining)
            self._long += 1
            return True

    def _free_long_slot(self) -> None:
        with self._cond:
            self._long -= 1
            self._cond.notify_all()  # a query waiting for a long slot, or for a worker

    def _remember_long(self, key: str | None) -> None:
        if key is None:
            return
        with self._cond:
            self._long_queries[key] = None
            self._long_queries.move_to_end(key)
            while len(self._long_queries) > 1000:
                self._long_queries.popitem(last=False)

    def update(self, job: Job, *, timeout: float, wait: float) -> Answer:
        """Apply a write to every worker (all must be idle), and log it for replacements."""
        taken: list[Worker] = []
        try:
            for _ in range(self.size):
                w = self._acquire(wait)
                if w is None:
                    return busy(self.size, "the store is busy; retry the write shortly")
                taken.append(w)
            started = time.monotonic()
            first = taken[0].run(job, timeout)
            if first is None:  # the dead worker is replaced when released
                if time.monotonic() - started >= timeout:
                    return error(504, f"the write stopped after the {timeout:g} s timeout")
                return error(500, "the write crashed its worker process (it has been replaced)")
            if first.status >= 400:
                return first
            for w in taken[1:]:
                w.run(job, timeout)  # one that dies is replaced (replaying this write) when released
            self.updates.append(job)
            return first
        finally:
            for w in taken:
                self._release(w)

    def close(self) -> None:
        """Stop every worker."""
        with self._cond:
            self._stopped = True
            hosts, self._idle = list(self._all), []
        for host in hosts:
            host.kill()


def _why(worker: Worker) -> str:
    """Why a worker died, when its exit says so (the engine aborts when it runs out of memory)."""
    code = worker.process.exitcode
    if code == -6:
        limit = os.environ.get("SDGKG_WORKER_MEMORY_MB", "4096")
        return f": it ran out of memory (each worker may use {limit} MB) or the engine aborted"
    return ""


def _cost_key(job: Job) -> str | None:
    """What identifies a query for the cost memory: its text and dataset."""
    if job.kind != "query":
        return None
    text = "\x00".join([job.text, *job.default_graphs, "|", *job.named_graphs])
    return hashlib.sha1(text.encode("utf-8", "surrogateescape")).hexdigest()


def _context() -> Any:
    """Worker processes fork from a server process that has imported the worker code once."""
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["kg.server.workers"])
    return ctx


RETRY_AFTER = 2  # seconds a client is asked to wait when every worker is busy


def busy(size: int, message: str | None = None) -> Answer:
    """The 503 answer when every worker is busy (the HTTP layer adds Retry-After)."""
    return error(503, message or f"all {size} query workers are busy; retry in {RETRY_AFTER} s")
