"""Query execution in killable worker processes.

pyoxigraph cannot cancel a running query and ignores signals, and a pathological query can
crash the process. So every query runs in a worker process holding its own in-memory copy of
the store; the server waits at most the timeout and then kills and replaces the worker. The
number of workers is the concurrency limit. Updates (admin only) are applied to every worker
and logged, so a replacement worker replays them and all workers stay identical.
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
from kg.store.dataset import open_store

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


def _worker_main(conn: Connection, build_dir: str, replay: list[Job], union: bool, writable: bool) -> None:
    """Worker loop: open the store, replay logged writes, then answer jobs until EOF."""
    _die_with_parent()
    _limit_memory()
    try:
        store = open_store(Path(build_dir), union_default_graph=union, writable=writable)
        for job in replay:
            evaluate(store, job, union)
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails start-up
        conn.send(("failed", str(exc)))
        return
    conn.send(("ready", len(store)))
    while True:
        try:
            job = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        conn.send(evaluate(store, job, union))


# --------------------------------------------------------------------------- parent side


class Worker:
    """One worker process and the pipe to it."""

    def __init__(
        self, build_dir: Path, replay: list[Job], generation: int = 0, *, union: bool = True, writable: bool = False
    ) -> None:
        self.generation = generation
        ctx = _context()
        self.conn, child = ctx.Pipe()
        args = (child, str(build_dir), list(replay), union, writable)
        self.process = ctx.Process(target=_worker_main, args=args, daemon=True)
        self.process.start()
        child.close()
        self.ready = False

    def wait_ready(self, timeout: float = 120.0) -> int:
        """Block until the store is loaded; return its size."""
        try:
            if not self.conn.poll(timeout):
                self.kill()
                raise KgError(f"a query worker did not load the store within {timeout:.0f} s")
            status, detail = self.conn.recv()
        except (EOFError, OSError) as exc:
            self.kill()
            raise KgError(f"a query worker died while loading the store ({exc})") from None
        if status != "ready":
            self.kill()
            raise KgError(f"a query worker could not load the store: {detail}")
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
        """Set the process's CPU priority; False if the system refuses (e.g. raising it back)."""
        try:
            os.setpriority(os.PRIO_PROCESS, self.process.pid, value)
            return True
        except (OSError, TypeError):
            return False

    def kill(self) -> None:
        """Stop the process at once."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()

    @property
    def alive(self) -> bool:
        """Whether the process still runs."""
        return self.process.is_alive()


def resolved(build_dir: Path) -> Path:
    """The directory a build path points to now (``build`` is a symlink swapped atomically)."""
    return Path(os.path.realpath(build_dir))


class WorkerPool:
    """A fixed number of workers; a killed worker is replaced in the background.

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
    ) -> None:
        self.build_dir = Path(build_dir)
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
        self._all: set[Worker] = set()  # every worker started, busy or idle: all are stopped on close
        self._cond = threading.Condition()
        self._stopped = False
        self._version = self._dataset_version()
        self.serving = resolved(self.build_dir)
        workers = [self._start(self.serving, [], 0) for _ in range(self.size)]
        self.store_size = 0
        try:
            for w in workers:
                self.store_size = w.wait_ready()
        except KgError:
            for w in workers:
                w.kill()
            raise
        self._idle = workers
        if watch_interval > 0:
            threading.Thread(target=self._watch, args=(watch_interval,), daemon=True).start()

    def _start(self, build_dir: Path, replay: list[Job], generation: int) -> Worker:
        worker = Worker(build_dir, replay, generation, union=self.union, writable=self.writable)
        with self._cond:
            self._all = {w for w in self._all if w.alive} | {worker}
        return worker

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
        fresh = [self._start(target, [], self.generation + 1) for _ in range(self.size)]
        try:
            sizes = [w.wait_ready() for w in fresh]
        except KgError as exc:
            for w in fresh:
                w.kill()
            self.last_reload_error = str(exc)
            print(f"sdgkg: new build not loaded, still serving the previous one: {exc}", flush=True)
            return False
        with self._cond:
            if self._stopped:
                old = fresh
            else:
                self.generation += 1
                old, self._idle = self._idle, fresh
                self.updates = []
                self.serving = target
                self.store_size = sizes[-1]
                self.last_reload_error = None
                self._cond.notify_all()
        for w in old:
            w.kill()
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
        with self._cond:
            if worker.generation == self.generation and not self._stopped and worker.alive:
                self._idle.append(worker)
                self._cond.notify()
                return
        worker.kill()  # a worker of a replaced build retires once its query is done
        if worker.generation == self.generation and not self._stopped:
            self._replace()

    def _replace(self) -> None:
        """Start a new worker (replaying writes) and add it when it is ready."""
        generation, serving, replay = self.generation, self.serving, list(self.updates)

        def start() -> None:
            try:
                w = self._start(serving, replay, generation)
                w.wait_ready()
            except KgError:
                return
            self._release(w)

        threading.Thread(target=start, daemon=True).start()

    def run(self, job: Job, *, timeout: float, wait: float) -> Answer:
        """Run a job on a free worker; ``timeout`` counts from arrival, queue wait included.

        Cost-aware admission: a query still running after ``fast_limit`` seconds is a long
        query. At most ``max_long`` long queries run at once (by default all workers but one),
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
                    worker.kill()
        except BaseException:  # cancelled mid-query: the worker's state is unknown
            worker.kill()
            self._replace()
            raise
        return self._finish(answer, worker, arrived, timeout)

    def _take_idle(self) -> Worker | None:
        """A live idle worker now, or None (dead ones found are replaced)."""
        with self._cond:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive:
                    return worker
                worker.kill()
                self._replace()
            return None

    def _finish(self, answer: Answer | Refusal | None, worker: Worker, arrived: float, timeout: float) -> Answer:
        """The HTTP answer for a finished job; the worker goes back to the pool or is replaced."""
        if isinstance(answer, Refusal):
            self._replace()
            return busy(self.size, answer.message)
        if answer is None:
            self._replace()
            if time.monotonic() >= arrived + timeout - 0.05:
                return error(504, f"query stopped after the {timeout:g} s timeout")
            return error(500, f"the query crashed its worker process{_why(worker)} (it has been replaced)")
        self._release(worker)
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
                    worker.kill()
                return answer
            return self._past_fast_limit(worker, deadline, key)
        except BaseException:
            worker.kill()
            self._replace()
            raise

    def _past_fast_limit(self, worker: Worker, deadline: float, key: str | None) -> Answer | Refusal | None:
        """A query still running at the fast limit: remembered, then given a long slot or stopped."""
        try:
            self._remember_long(key)
            if not self._take_long_slot():
                worker.kill()
                return Refusal(503, self._long_message(f"this query ran past {self.fast_limit:g} s while"))
            try:
                return self._wait_long(worker, deadline)
            finally:
                self._free_long_slot()
        except BaseException:
            worker.kill()
            self._replace()
            raise

    def _wait_long(self, worker: Worker, deadline: float) -> Answer | None:
        worker.nice(10)  # long queries yield the CPU to cheap ones
        answer = worker.wait(max(0.0, deadline - time.monotonic()))
        if answer is not None and not worker.nice(0):
            worker.kill()  # cannot restore its priority: retired (and replaced) when released
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
            if first is None:
                taken.pop(0)
                self._replace()
                if time.monotonic() - started >= timeout:
                    return error(504, f"the write stopped after the {timeout:g} s timeout")
                return error(500, "the write crashed its worker process (it has been replaced)")
            if first.status >= 400:
                return first
            for w in list(taken[1:]):
                if w.run(job, timeout) is None:
                    taken.remove(w)
                    self._replace()
            self.updates.append(job)
            return first
        finally:
            for w in taken:
                self._release(w)

    def close(self) -> None:
        """Stop every worker."""
        with self._cond:
            self._stopped = True
            workers, self._idle = list(self._all), []
        for w in workers:
            w.kill()


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
