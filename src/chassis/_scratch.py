"""Temporary folders that no interruption leaves behind, and holding off Ctrl-C and
SIGTERM while chassis changes what the user sees."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["HELD", "held_until_exit", "scratch"]

HELD = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def held_until_exit() -> Iterator[None]:
    """Let signals through inside, except where the body holds them off (with
    ``pthread_sigmask``); whatever it held stays held until this exits.

    A Ctrl-C that arrives while a command finishes its change is then raised at one
    place, after the clean-up, never inside it (or inside a destructor, which would
    swallow it)."""
    entry = signal.pthread_sigmask(signal.SIG_BLOCK, set())
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, entry)


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    """A temporary folder for one command, which also holds whatever Copier, git and uv
    put in the temporary directory meanwhile (Copier's template clones, for one).

    It is removed on every way out with signals held off (a removal cut short leaves a
    half-deleted folder behind); use it inside :func:`held_until_exit`, which lets
    them through again.
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, HELD)  # while it is made
    saved = tempfile.tempdir, os.environ.get("TMPDIR")
    folder = Path(tempfile.mkdtemp(prefix="chassis-"))
    try:
        # Copier makes its clones with mkdtemp() and removes them only if nothing
        # interrupts it; with the default directory here, they go with this folder.
        tempfile.tempdir = os.environ["TMPDIR"] = str(folder)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, HELD)
        yield folder
    finally:
        signal.pthread_sigmask(signal.SIG_BLOCK, HELD)
        tempfile.tempdir = saved[0]
        if saved[1] is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved[1]
        _remove(folder)


def _remove(folder: Path) -> None:
    """Remove ``folder``, trying again while it is still there.

    A Ctrl-C reaches the whole process group: a git or uv child may still be writing
    into the folder while it is removed, so one pass can end on "directory not empty".
    shutil has no retry of its own; a few short ones outlast such a child's exit.
    """
    for _ in range(20):
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            return
        time.sleep(0.05)
