"""Work that overlaps the build's own: a function run in a forked child process.

The build is single-threaded Python until the on-disk store's writer starts, and this machine
has two cores: the SDG tagger (pure Python) can run beside loading and reasoning instead of
before them. A child is forked only while the process has no other thread (forking a threaded
process can copy a held lock); otherwise the function runs in-process when its result is asked.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from kg.errors import KgError

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Have the kernel kill this child when ``parent`` dies (``kill -9`` of a build included).

    Without it an orphaned child goes on writing into the build's temporary folder after the
    build itself is gone. Linux only (``prctl``); elsewhere a no-op. If the parent died before
    the request took effect, exit now.
    """
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            return
    if os.getppid() != parent:
        os._exit(1)


def _run(send: Connection, fn: Callable[..., Any], args: tuple[Any, ...], parent: int) -> None:
    die_with_parent(parent)
    try:
        result = (True, fn(*args))
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
        result = (False, exc)
    try:
        send.send(result)
    finally:
        send.close()


class Background:
    """``fn(*args)`` computed in a forked child; :meth:`result` waits for it (or computes it here)."""

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self._fn, self._args = fn, args
        self._proc: multiprocessing.process.BaseProcess | None = None
        self.forked = hasattr(os, "fork") and threading.active_count() == 1
        if self.forked:
            ctx = multiprocessing.get_context("fork")
            self._recv, send = ctx.Pipe(duplex=False)
            self._proc = ctx.Process(
                target=_run, args=(send, fn, args, os.getpid()), name=f"sdgkg-{fn.__name__}", daemon=True
            )
            self._proc.start()
            send.close()

    def result(self) -> Any:
        """The function's value (its exception is raised here)."""
        if self._proc is None:
            return self._fn(*self._args)
        try:
            ok, value = self._recv.recv()  # before join: a large result fills the pipe first
        except EOFError:
            self._proc.join()
            raise KgError(
                f"the background {self._fn.__name__} process died (exit code {self._proc.exitcode}); "
                "out of memory? build again with more free memory"
            ) from None
        finally:
            self._recv.close()
        self._proc.join()
        self._proc = None
        if not ok:
            raise value
        return value

    def cancel(self) -> None:
        """Stop the child (a failed build does not wait for it)."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.join()
            self._recv.close()
            self._proc = None
