"""The build directory: ``build`` is a symlink to one finished build, replaced atomically.

Builds are written to a temporary folder, then the link is swapped with one ``rename``; a
kill at any instant leaves a valid ``build``. Stale temporary folders from killed builds are
removed at the next build (under a lock, so never a running build's).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kg.errors import BuildError


def builds_dir(out: Path) -> Path:
    """Where the builds behind ``out`` live: ``out`` is a symlink to one of them."""
    return out.parent / f".{out.name}.builds"


def swap_in(tmp: Path, out: Path) -> None:
    """Make ``out`` point at the finished build ``tmp`` in one atomic step (a symlink ``rename``).

    Readers see the old build or the new one, never neither: a kill at any instant leaves
    ``out`` valid. A ``build/`` directory from before symlinks is moved under the builds folder
    once, and :func:`recover` restores the link should a kill land inside that move.
    """
    store = builds_dir(out)
    store.mkdir(parents=True, exist_ok=True)
    final = store / f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    tmp.rename(final)
    link = out.parent / f".{out.name}.link-{uuid.uuid4().hex[:8]}"
    os.symlink(os.path.relpath(final, out.parent), link)
    if out.is_dir() and not out.is_symlink():
        out.rename(store / f"legacy-{uuid.uuid4().hex[:8]}")
    os.replace(link, out)
    prune(out)


def _complete(directory: Path) -> bool:
    return (directory / "summary.json").is_file() and (directory / "dataset.nq").is_file()


def recover(out: Path) -> None:
    """If ``out`` is missing or dangling but finished builds exist, point it at the newest one."""
    if out.exists():
        return
    store = builds_dir(out)
    done = sorted((d for d in store.glob("*") if d.is_dir() and _complete(d)), key=lambda d: d.stat().st_mtime)
    if done:
        link = out.parent / f".{out.name}.link-{uuid.uuid4().hex[:8]}"
        os.symlink(os.path.relpath(done[-1], out.parent), link)
        os.replace(link, out)


def prune(out: Path, keep: int = 2) -> None:
    """Remove stale temporary folders and links, and all but the newest ``keep`` builds."""
    current = Path(os.path.realpath(out))
    for stale in list(out.parent.glob(f".{out.name}.tmp-*")) + list(out.parent.glob(f".{out.name}.link-*")):
        if stale.is_symlink() or stale.is_file():
            stale.unlink(missing_ok=True)
        else:
            _remove_tree(stale)
    store = builds_dir(out)
    if not store.is_dir():
        return
    finished = sorted((d for d in store.iterdir() if d.is_dir()), key=lambda d: d.stat().st_mtime, reverse=True)
    kept = 0
    for d in finished:
        if d == current or (kept < keep and _complete(d)):
            kept += 1
            continue
        shutil.rmtree(d, ignore_errors=True)


def _remove_tree(path: Path, attempts: int = 5) -> None:
    """``rmtree`` again while a dying writer (a killed build's child) may still add a file."""
    for _ in range(attempts):
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            return
        time.sleep(0.05)


@contextmanager
def build_lock(out: Path) -> Iterator[None]:
    """One build at a time per output: stale temporary folders can then be removed safely."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / f".{out.name}.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError(f"another 'kg build' is writing {out}; wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
