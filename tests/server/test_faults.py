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

from tests.conftest import kg_server, wait_for

ASK = "ASK { <https://w3id.org/sdgkg/project/1617b> ?p ?o }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def get(url, query, **params):
    return httpx.get(url + "/sparql", params={"query": query, **params}, timeout=60)


def count(url) -> int:
    return int(get(url, COUNT).json()["results"]["bindings"][0]["n"]["value"])


def query_workers(url) -> list[int]:
    """The server's query worker processes (they hold the store)."""
    return url.workers()


def test_idle_workers_killed_from_outside_are_replaced_before_use(built):
    with kg_server(built.out, "--workers", "2") as url:
        assert get(url, ASK).json()["boolean"] is True
        pids = query_workers(url)
        assert len(pids) == 2
        for pid in pids:
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
        assert len(before) == 1
        assert answer["r"].status_code == 500 and "crashed" in answer["r"].json()["error"]
        assert time.monotonic() - started < 5
        assert wait_for(lambda: get(url, ASK).status_code == 200)
        assert set(query_workers(url)).isdisjoint(before)


def test_pages_and_queries_answer_503_with_retry_after_when_every_worker_is_busy(built):
    with kg_server(built.out, "--workers", "1", "--timeout", "20",
                   env={"SDGKG_QUEUE_TIMEOUT": "1", "SDGKG_PAGE_WAIT": "2"}) as url:
        slow = threading.Thread(target=lambda: get(url, RUNAWAY, timeout="15"))
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


def test_workers_die_with_the_server(built):
    with kg_server(built.out, "--workers", "2") as url:
        def runaway():
            try:
                get(url, RUNAWAY)
            except httpx.HTTPError:
                pass  # the server is killed under it

        threading.Thread(target=runaway, daemon=True).start()
        time.sleep(1.5)
        pids = query_workers(url)
        assert len(pids) == 2
        os.kill(url.pid, signal.SIGKILL)  # not even a graceful shutdown
    assert wait_for(lambda: not any(os.path.exists(f"/proc/{pid}") and "Z" not in open(f"/proc/{pid}/stat").read()
                                    .rsplit(")", 1)[1].split()[0] for pid in pids), 10)


def test_runaway_clients_cannot_hold_every_worker(built):
    """With 2 workers at most 1 long query runs; a cheap query still answers at once."""
    with kg_server(built.out, "--workers", "2", "--timeout", "10") as url:
        answers: list[httpx.Response] = []
        runaways = [threading.Thread(target=lambda: answers.append(get(url, RUNAWAY))) for _ in range(3)]
        for t in runaways:
            t.start()
        time.sleep(2.5)  # every runaway is past the 1 s fast limit
        latencies = []
        for _ in range(5):
            started = time.monotonic()
            assert get(url, ASK).status_code == 200
            latencies.append(time.monotonic() - started)
        assert max(latencies) < 1.0, latencies
        for t in runaways:
            t.join()
        statuses = sorted(r.status_code for r in answers)
        assert statuses.count(504) <= 1 and all(s in (503, 504) for s in statuses), statuses
        stopped = [r for r in answers if r.status_code == 503]
        assert stopped and all(r.headers.get("Retry-After") == "2" and "long queries" in r.json()["error"]
                               for r in stopped)


def _cpu_ticks(pid: int) -> int:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def test_a_worker_dying_during_an_update_is_replaced_with_the_update(built):
    """The write is applied worker by worker: one that dies meanwhile is replaced by a worker that
    replays it too, so every worker answers the same afterwards."""
    slow_insert = ("INSERT { GRAPH <urn:test:g> { <urn:test:s> <urn:test:n> ?n } } WHERE { "
                   "SELECT (COUNT(*) AS ?n) WHERE { ?a a ?c . ?d a ?f } }")  # fmt: skip
    check = "ASK { GRAPH <urn:test:g> { <urn:test:s> <urn:test:n> ?n } }"
    with kg_server(built.out, "--workers", "2", env={"SDGKG_ADMIN_TOKEN": "s3cret"}) as url:
        pids = query_workers(url)
        out = {}
        write = threading.Thread(target=lambda: out.setdefault("r", httpx.post(
            url + "/sparql", data={"update": slow_insert}, headers={"Authorization": "Bearer s3cret"}, timeout=120)))
        before = {pid: _cpu_ticks(pid) for pid in pids}
        write.start()
        time.sleep(0.6)
        idle = [pid for pid in pids if _cpu_ticks(pid) - before[pid] < 5]  # not the one applying it first
        assert len(idle) == 1, {pid: _cpu_ticks(pid) - before[pid] for pid in pids}
        os.kill(idle[0], signal.SIGKILL)
        write.join()
        assert out["r"].status_code in (200, 204), out["r"].text
        assert wait_for(lambda: len(query_workers(url)) == 2 and idle[0] not in query_workers(url))
        answers = {get(url, check).json()["boolean"] for _ in range(8)}  # both workers, whichever answers
        assert answers == {True}
