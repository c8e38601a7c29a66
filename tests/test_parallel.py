"""The build's side processes: the tagger's forked child and the dump writers."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.errors import KgError
from kg.parallel import Background
from kg.store.dataset import Conversion

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


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")  # a zombie has finished: nobody reaped it yet


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl(PR_SET_PDEATHSIG) is Linux's")
@pytest.mark.parametrize("kind", ["background", "conversion"])
def test_children_die_with_a_killed_build(tmp_path, kind):
    # kill -9 of 'kg build' must not leave a child writing into its temporary folder
    src = tmp_path / "big.nt"
    src.write_text("".join(f"<http://e/{i}> <http://e/p> \"{i}\" .\n" for i in range(200_000)))
    start = {
        "background": "import time; job = Background(time.sleep, 120); pids = [job._proc.pid]",
        "conversion": (f"from pathlib import Path; c = Conversion(Path({str(src)!r}), 'ntriples', "
                       f"[(Path({str(tmp_path / 'out.jsonld')!r}), 'jsonld')] * 100, {{}}, sort='line'); "
                       "pids = [c._proc.pid]"),
    }[kind]
    code = ("import time; from kg.parallel import Background; from kg.store.dataset import Conversion; "
            f"{start}; print(pids[0], flush=True); time.sleep(120)")
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    child = int(parent.stdout.readline())
    time.sleep(0.5)  # the child has asked for its death signal
    assert _alive(child)
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 5  # the conversion alone would run ~25 s more
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), f"child {child} outlived its killed parent"
