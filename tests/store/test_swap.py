"""The build directory swap: one atomic step, whatever kills the build and wherever.

`build` is a symlink replaced by one rename; kills at every stage of a real `kg build`, a kill
inside the swap itself, and a full disk must each leave the previous build served and intact,
with stale temporary folders cleaned by the next build."""

import os
import resource
import shutil
import signal
import subprocess
import sys
import time

import pytest

from kg.store import swap
from kg.store.dataset import verify_build
from tests.conftest import ROOT


def fresh_out(built, tmp_path):
    """An output path holding a finished build (as the symlink layout has it)."""
    out = tmp_path / "build"
    copy = tmp_path / ".build.tmp-seed"
    shutil.copytree(built.out, copy)
    swap.swap_in(copy, out)
    return out


def digest(out):
    return verify_build(out)["sha256"]


def test_build_is_a_symlink_to_a_finished_build(built, tmp_path):
    out = fresh_out(built, tmp_path)
    assert out.is_symlink() and (out / "dataset.nq").is_file()
    assert not list(tmp_path.glob(".build.tmp-*")) and not list(tmp_path.glob(".build.link-*"))


def test_a_legacy_build_directory_is_migrated_and_a_kill_inside_the_move_is_recovered(built, tmp_path):
    out = tmp_path / "build"
    shutil.copytree(built.out, out)  # a build/ directory from before symlinks
    new = tmp_path / ".build.tmp-new"
    shutil.copytree(built.out, new)
    real_replace = os.replace

    def killed(*_a, **_k):
        raise KeyboardInterrupt("killed between the move and the link")

    os.replace = killed
    try:
        with pytest.raises(KeyboardInterrupt):
            swap.swap_in(new, out)
    finally:
        os.replace = real_replace
    assert not out.exists()  # the one window: the legacy directory moved, the link not yet made
    swap.recover(out)  # what the next `kg build` and `kg serve` do first
    assert out.is_symlink() and digest(out) == verify_build(built.out)["sha256"]


def test_a_kill_before_the_rename_leaves_the_previous_build(built, tmp_path):
    out = fresh_out(built, tmp_path)
    before = os.readlink(out)
    new = tmp_path / ".build.tmp-new"
    shutil.copytree(built.out, new)
    real_replace = os.replace
    os.replace = lambda *_a, **_k: (_ for _ in ()).throw(KeyboardInterrupt("killed"))
    try:
        with pytest.raises(KeyboardInterrupt):
            swap.swap_in(new, out)
    finally:
        os.replace = real_replace
    assert os.readlink(out) == before and verify_build(out)
    swap.prune(out)  # the next build removes what the kill left
    assert not list(tmp_path.glob(".build.link-*"))


def kg_build(out, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "kg.cli", "build", "--out", str(out)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


@pytest.mark.parametrize("stage", [f"[{k}/7]" for k in range(1, 8)])
def test_kill_9_of_kg_build_at_a_stage_keeps_the_previous_build(built, tmp_path, stage):
    out = fresh_out(built, tmp_path)
    before = digest(out)
    proc = kg_build(out)
    for line in proc.stderr:
        if line.startswith(stage):
            if stage == "[6/7]":  # kill while the files are being written
                deadline = time.monotonic() + 30
                while not list(tmp_path.glob(".build.tmp-*/dataset.trig")) and time.monotonic() < deadline:
                    time.sleep(0.01)
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert digest(out) == before or verify_build(out)  # old build, or (killed after the rename) the new one
    if stage == "[6/7]":
        assert list(tmp_path.glob(".build.tmp-*")), "the kill should have left a partial build behind"
        swap.prune(out)
        assert not list(tmp_path.glob(".build.tmp-*"))


def test_a_full_disk_fails_the_build_with_a_message_and_keeps_the_previous_one(built, tmp_path):
    out = fresh_out(built, tmp_path)
    before = digest(out)

    def small_files():  # writes past 1 MB fail with EFBIG, as a full disk fails them with ENOSPC
        resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    proc = kg_build(out, preexec_fn=small_files)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 2, err[-2000:]
    assert "cannot write the build" in err and "previous build" in err and "Traceback" not in err
    assert digest(out) == before
    assert not list(tmp_path.glob(".build.tmp-*"))
