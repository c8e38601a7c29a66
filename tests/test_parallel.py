"""The build's side processes: the tagger's forked child and the dump writers."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.errors import KgError
from kg.parallel import Background
from kg.store import Conversion

ROOT = Path(__file__).resolve().parent.parent


def _pid_and_sum(values: list[int]) -> tuple[int, int]:
    return os.getpid(), sum(values)


def _fail(message: str) -> None:
    raise ValueError(message)


def test_background_runs_in_a_child_and_returns_its_value():
    # in a fresh interpreter: pytest's own session may hold threads, and then nothing is forked
    code = ("import os; from kg.parallel import Background; from tests.test_parallel import _pid_and_sum; "
            "job = Background(_pid_and_sum, list(range(1000))); pid, total = job.result(); "
            "print(job.forked, pid != os.getpid(), total)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.split() == ["True", "True", "499500"]


def test_background_raises_the_childs_error():
    with pytest.raises(ValueError, match="bad text"):
        Background(_fail, "bad text").result()


def test_background_does_not_fork_a_threaded_process():
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        job = Background(_pid_and_sum, [1, 2])
        assert not job.forked
        assert job.result() == (os.getpid(), 3)
    finally:
        stop.set()
        worker.join()


def test_conversion_sorts_by_graph_and_writes_each_syntax(tmp_path):
    src = tmp_path / "in.nq"
    src.write_bytes(b"<http://e/b> <http://e/p> \"2\" <http://e/g2> .\n"
                    b"<http://e/a> <http://e/p> \"1\" <http://e/g2> .\n"
                    b"<http://e/z> <http://e/p> \"3\" <http://e/g1> .\n")
    job = Conversion(src, "nquads", [(tmp_path / "out.nq", "nquads"), (tmp_path / "out.trig", "trig")],
                     {"e": "http://e/"}, sort="graph")
    job.wait()
    lines = (tmp_path / "out.nq").read_text().splitlines()
    assert [line.split()[0] for line in lines] == ["<http://e/z>", "<http://e/a>", "<http://e/b>"]
    quads = set(ox.parse(path=str(tmp_path / "out.trig"), format=ox.RdfFormat.TRIG))
    assert quads == set(ox.parse(path=str(src), format=ox.RdfFormat.N_QUADS))


def test_a_failed_conversion_names_the_files(tmp_path):
    bad = tmp_path / "bad.nt"
    bad.write_bytes(b"<http://e/a> <http://e/p> .\n")
    job = Conversion(bad, "ntriples", [(tmp_path / "union.ttl", "turtle")], {})
    with pytest.raises(KgError, match="cannot write union.ttl"):
        job.wait()
