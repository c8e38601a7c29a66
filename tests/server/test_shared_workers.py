"""Workers over the on-disk store are threads of one process (they share its block cache).

One query is never stopped by killing that process: a query past its deadline is given up and
the process retired (a fresh one takes new queries), so a query running beside it still gets
its answer; the retired process ends once nothing it runs is awaited. A long query runs at low
priority in its own thread. A crash still loses the process, and the pool replaces it."""

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.conftest import kg_server, wait_for

ASK = "ASK { <https://w3id.org/sdgkg/project/1617b> ?p ?o }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
MEDIUM = "SELECT (COUNT(*) AS ?n) WHERE { ?a a ?c . ?d a ?f }"  # about a second on the seed store


def get(url, query, **params):
    return httpx.get(url + "/sparql", params={"query": query, **params},
                     headers={"Accept": "application/sparql-results+json"}, timeout=120)  # fmt: skip


def threads(pid: int) -> int:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise AssertionError(f"no thread count for {pid}")


def test_disk_workers_are_threads_of_one_process(built):
    with kg_server(built.out, "--workers", "3", "--store-mode", "disk") as url:
        pids = url.workers()
        assert len(pids) == 1, pids
        assert threads(pids[0]) >= 3
        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(lambda _: get(url, ASK), range(12)))
        assert [r.status_code for r in answers] == [200] * 12
        assert all(r.json()["boolean"] is True for r in answers)
        assert url.workers() == pids  # nothing was replaced


def test_a_query_past_its_deadline_does_not_take_its_neighbour_down(built):
    with kg_server(built.out, "--workers", "3", "--store-mode", "disk", env={"SDGKG_MAX_LONG": "2"}) as url:
        # the same count under another text: MEDIUM itself is not yet known to run long (that would
        # send it to a process of its own), so it shares the process with the runaway below
        variant = get(url, MEDIUM.replace("?n", "?count")).json()["results"]["bindings"][0]["count"]["value"]
        [first] = url.workers()
        out: dict[str, httpx.Response] = {}
        medium = threading.Thread(target=lambda: out.setdefault("medium", get(url, MEDIUM)))
        medium.start()
        time.sleep(0.1)
        started = time.monotonic()
        runaway = get(url, RUNAWAY, timeout="0.5")
        assert runaway.status_code == 504, runaway.text
        assert time.monotonic() - started < 3
        assert get(url, ASK).json()["boolean"] is True  # a fresh process answers at once
        assert len(url.workers()) == 2  # the retired one still runs the medium query
        medium.join()
        assert out["medium"].status_code == 200, out["medium"].text
        assert out["medium"].json()["results"]["bindings"][0]["n"]["value"] == variant
        assert wait_for(lambda: first not in url.workers(), timeout=10)  # drained, then stopped
        assert len(url.workers()) == 1
        assert get(url, ASK).status_code == 200


def test_a_long_query_runs_beside_cheap_ones_until_its_deadline(built):
    with kg_server(built.out, "--workers", "2", "--store-mode", "disk", "--timeout", "30",
                   env={"SDGKG_FAST_LIMIT": "0.3"}) as url:  # fmt: skip
        [first] = url.workers()
        out: dict[str, httpx.Response] = {}
        slow = threading.Thread(target=lambda: out.setdefault("slow", get(url, RUNAWAY, timeout="4")))
        slow.start()
        time.sleep(0.8)  # past the fast limit: a long query, at low priority in its thread
        for _ in range(5):
            started = time.monotonic()
            assert get(url, ASK).json()["boolean"] is True
            assert time.monotonic() - started < 1.5
        assert url.workers() == [first]  # a long query alone retires nothing
        slow.join()
        assert out["slow"].status_code == 504
        assert wait_for(lambda: first not in url.workers(), timeout=10)  # given up, then stopped
        assert len(url.workers()) == 1
        assert get(url, ASK).status_code == 200


def test_worker_threads_sets_threads_a_process(built):
    with kg_server(built.out, "--workers", "3", "--store-mode", "disk", env={"SDGKG_WORKER_THREADS": "1"}) as url:
        assert len(url.workers()) == 3
        assert get(url, ASK).json()["boolean"] is True


def test_a_shared_process_that_dies_is_replaced(built):
    with kg_server(built.out, "--workers", "2", "--store-mode", "disk", "--timeout", "30") as url:
        [first] = url.workers()
        out: dict[str, httpx.Response] = {}
        slow = threading.Thread(target=lambda: out.setdefault("slow", get(url, RUNAWAY)))
        slow.start()
        time.sleep(0.5)
        os.kill(first, signal.SIGKILL)
        slow.join()
        assert out["slow"].status_code == 500 and "crashed" in out["slow"].json()["error"]
        assert wait_for(lambda: get(url, ASK).status_code == 200)
        assert first not in url.workers() and len(url.workers()) == 1


def test_as_many_long_queries_as_workers_run_and_a_thread_more_answers_quick_ones(built):
    with kg_server(built.out, "--workers", "2", "--store-mode", "disk", "--timeout", "30",
                   env={"SDGKG_FAST_LIMIT": "0.3"}) as url:  # fmt: skip
        [pid] = url.workers()
        out: dict[int, httpx.Response] = {}
        slow = [threading.Thread(target=lambda i=i: out.setdefault(i, get(url, RUNAWAY, timeout="3")))
                for i in range(2)]  # fmt: skip
        for t in slow:
            t.start()
        time.sleep(0.8)  # both past the fast limit: two long queries, as many as workers
        started = time.monotonic()
        assert get(url, ASK).json()["boolean"] is True  # the third thread
        assert time.monotonic() - started < 1.5
        assert threads(pid) >= 3
        for t in slow:
            t.join()
        # both ran to their deadline (with one long slot, the second was refused 503 at the fast limit)
        assert [out[i].status_code for i in range(2)] == [504, 504], [out[i].text for i in range(2)]
        assert wait_for(lambda: get(url, ASK).status_code == 200)
