"""Fault tests: workers killed busy and idle, a served dataset truncated or emptied, every worker
busy while pages are asked for. The server must answer with a status (never hang, never 500
for a fault that is not the client's) and keep serving the build it had."""

import os
import shutil
import signal
import threading
import time

import httpx
import pytest

from tests.conftest import kg_server

ASK = "ASK { <https://w3id.org/sdgkg/project/1617b> ?p ?o }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def get(url, query, **params):
    return httpx.get(url + "/sparql", params={"query": query, **params}, timeout=60)


def count(url) -> int:
    return int(get(url, COUNT).json()["results"]["bindings"][0]["n"]["value"])


def query_workers(url) -> list[int]:
    """The server's query worker processes (spawned children that hold the store)."""
    return [pid for pid in url.workers() if b"multiprocessing" in open(f"/proc/{pid}/cmdline", "rb").read()]


def wait_for(predicate, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def test_idle_workers_killed_from_outside_are_replaced_before_use(built):
    with kg_server(built.out, "--workers", "2") as url:
        assert get(url, ASK).json()["boolean"] is True
        for pid in query_workers(url):
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
        statuses = [get(url, ASK).status_code for _ in range(6)]
        assert statuses == [200] * 6, statuses


def test_busy_worker_killed_answers_500_at_once_and_is_replaced(built):
    with kg_server(built.out, "--workers", "1", "--timeout", "30") as url:
        before = set(query_workers(url))
        answer = {}
        slow = threading.Thread(target=lambda: answer.setdefault("r", get(url, RUNAWAY)))
        slow.start()
        time.sleep(1.0)
        started = time.monotonic()
        for pid in before:
            os.kill(pid, signal.SIGKILL)
        slow.join()
        assert answer["r"].status_code == 500 and "crashed" in answer["r"].json()["error"]
        assert time.monotonic() - started < 5
        assert wait_for(lambda: get(url, ASK).status_code == 200)
        assert set(query_workers(url)).isdisjoint(before)


def test_pages_and_queries_answer_503_with_retry_after_when_every_worker_is_busy(built):
    with kg_server(built.out, "--workers", "1", "--timeout", "20", env={"SDGKG_QUEUE_TIMEOUT": "1"}) as url:
        slow = threading.Thread(target=lambda: get(url, RUNAWAY, timeout="8"))
        slow.start()
        time.sleep(1.0)
        for path, headers in [("/project/1617b", {"Accept": "text/html"}), ("/countries", {"Accept": "text/html"}),
                              ("/project/1617b", {"Accept": "text/turtle"})]:
            started = time.monotonic()
            r = httpx.get(url + path, headers=headers, timeout=60)
            assert r.status_code == 503, (path, r.status_code)
            assert r.headers["Retry-After"] == "2"
            assert time.monotonic() - started < 4, path
        started = time.monotonic()
        r = get(url, ASK)
        assert r.status_code == 503 and r.headers["Retry-After"] == "2"
        assert time.monotonic() - started < 1 + 1.5
        slow.join()
        assert wait_for(lambda: httpx.get(url + "/project/1617b", timeout=60).status_code == 200)


@pytest.mark.parametrize("damage", ["emptied", "truncated", "corrupted"])
def test_a_damaged_dataset_is_not_reloaded_and_the_served_kg_stays(built, tmp_path, damage):
    served = tmp_path / "build"
    shutil.copytree(built.out, served)
    with kg_server(served) as url:
        before = count(url)
        path = served / "dataset.nq"
        lines = path.read_bytes().splitlines(keepends=True)
        if damage == "emptied":
            path.write_bytes(b"")
        elif damage == "truncated":
            path.write_bytes(b"".join(lines[: len(lines) // 2]))
        else:
            lines[10] = lines[10].replace(b"https://", b"https://x")
            path.write_bytes(b"".join(lines))
        time.sleep(6)  # the watcher polls every 2 s
        assert count(url) == before
        assert httpx.get(url + "/project/1617b", timeout=60).status_code == 200
        assert "summary.json" in url.log() and "still serving the previous one" in url.log()
