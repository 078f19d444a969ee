"""Real `chassis new` and `chassis update` processes, interrupted or run twice at once.

Every interruption happens at a known point, never after a guessed sleep: the process is
held there until the test has signalled it. A hold writes a `reached` file, then waits
for a `go` file (for at most HOLD_SECONDS, so a lost test never leaves a process behind):

* a `git` first on PATH that holds the first call whose arguments contain a pattern, then
  runs the real git (chassis and Copier both run git from PATH);
* a Copier task (with --trust) that holds;
* a package index on localhost that holds its first request, for `uv lock` (chassis runs
  the uv binary its package ships, not one from PATH);
* for the copy into the project, which runs no other process, a Python hook in the
  chassis process itself: `shutil.copy2` holds on its second copy.

Ctrl-C is SIGINT to the whole process group (as a terminal sends it), SIGTERM goes to
the chassis process alone (as a supervisor sends it). After either: exit 130, the one
line docs/exit-codes.md documents, no traceback; `new` leaves nothing in the parent
directory; `update` leaves every file byte for byte as it was, a clean `git status` and
no lock file, and the next `chassis update` succeeds.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import Result, answers_of, git, release, snapshot, update_locked

Cli = Callable[..., Result]

HOLD_SECONDS = 30  # a hold gives up after this; no test waits that long for anything
WAIT_SECONDS = 30  # how long a test waits for a process to reach a hold or to finish
INTERRUPTED = "interrupted: nothing was changed"

PYPROJECT = """\
[project]
name = "proj"
version = "0.1.0"
requires-python = ">=3.8"
dependencies = [{deps}]
"""

# --- holding a process at a known point ---------------------------------------------


@dataclass(frozen=True)
class Hold:
    """Files through which a held process and the test talk."""

    root: Path

    @property
    def reached(self) -> Path:
        return self.root / "reached"

    @property
    def go(self) -> Path:
        return self.root / "go"

    def shell(self) -> str:
        """sh code that holds once (the first caller only), then carries on."""
        first, reached, go = (
            shlex.quote(str(p)) for p in (self.root / "first", self.reached, self.go)
        )
        return (
            f"if mkdir {first} 2>/dev/null; then : > {reached}; i=0; "
            f'while [ ! -e {go} ] && [ "$i" -lt {HOLD_SECONDS * 20} ]; '
            f"do sleep 0.05; i=$((i + 1)); done; fi; "
            # Released after its chassis was interrupted and gone: do nothing more.
            'kill -0 "$PPID" 2>/dev/null || exit 1'
        )

    def release(self) -> None:
        self.go.touch()


@pytest.fixture
def hold(tmp_path: Path) -> Iterator[Hold]:
    root = tmp_path / "hold"
    root.mkdir()
    made = Hold(root)
    yield made
    made.release()  # frees a hold a failed test left waiting


def git_stub(directory: Path, hold: Hold, pattern: str) -> Path:
    """A directory holding a `git` that holds on the first call matching ``pattern``."""
    real = shutil.which("git")
    assert real is not None
    directory.mkdir()
    stub = directory / "git"
    stub.write_text(
        "#!/bin/sh\n"
        f'case " $* " in *{shlex.quote(pattern)}*) {hold.shell()} ;; esac\n'
        f'exec {shlex.quote(real)} "$@"\n'
    )
    stub.chmod(0o755)
    return directory


@contextlib.contextmanager
def holding_index(hold: Hold) -> Iterator[str]:
    """A package index URL whose first request holds; every answer is a 404."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if not hold.reached.exists():
                hold.reached.touch()
                deadline = time.monotonic() + HOLD_SECONDS
                while not hold.go.exists() and time.monotonic() < deadline:
                    time.sleep(0.02)
            with contextlib.suppress(OSError):  # uv may have gone: it was interrupted
                self.send_error(404)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    finally:
        hold.release()
        server.shutdown()
        server.server_close()


def use_index(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `uv lock` (in chassis and in the tests) ask ``url`` and nothing else."""
    monkeypatch.setenv("UV_DEFAULT_INDEX", url)
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")
    for name in ("UV_OFFLINE", "UV_INDEX_URL", "UV_INDEX", "UV_EXTRA_INDEX_URL", "UV_FIND_LINKS"):
        monkeypatch.delenv(name, raising=False)


# In the chassis process: hold inside the copy into the project, where signals are held off.
HOOKED_CHASSIS = """\
import shutil, sys, time
from pathlib import Path
from chassis.cli import main

reached, go, copies, real_copy = Path(sys.argv[1]), Path(sys.argv[2]), [], shutil.copy2

def copy_then_hold(*args, **kwargs):
    copies.append(args)
    result = real_copy(*args, **kwargs)
    if len(copies) == 2:
        reached.touch()
        deadline = time.monotonic() + {seconds}
        while not go.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
    return result

shutil.copy2 = copy_then_hold
main(sys.argv[3:])
""".replace("{seconds}", str(HOLD_SECONDS))


# --- running chassis ----------------------------------------------------------------


def _read(path: Path) -> str:
    return path.read_text() if path.exists() else ""


@dataclass
class Run:
    """A chassis process whose stdout and stderr go to files."""

    process: subprocess.Popen[str]
    out: Path
    err: Path

    def wait_for(self, done: Callable[[], bool]) -> None:
        """Poll until ``done()``, failing if chassis exits first or it takes too long."""
        deadline = time.monotonic() + WAIT_SECONDS
        while not done():
            if self.process.poll() is not None:
                pytest.fail(f"chassis exited {self.process.returncode}:\n{_read(self.err)}")
            if time.monotonic() > deadline:
                pytest.fail("chassis never got there")
            time.sleep(0.01)

    def finish(self) -> tuple[int, str, str]:
        try:
            code = self.process.wait(timeout=WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            pytest.fail(f"chassis did not finish:\n{_read(self.out)}{_read(self.err)}")
        return code, _read(self.out), _read(self.err)


def start(
    *args: str | Path,
    cwd: Path,
    logs: Path,
    path: Path | None = None,
    hooked: Hold | None = None,
    stdout: int | None = None,
) -> Run:
    """`chassis ARGS` in a session of its own (like a command a terminal started), with
    ``path`` first on PATH; with ``hooked``, the copy into the project holds."""
    logs.mkdir(parents=True, exist_ok=True)
    out, err = logs / "stdout", logs / "stderr"
    env = dict(os.environ)
    if path is not None:
        env["PATH"] = f"{path}{os.pathsep}{env['PATH']}"
    command = [sys.executable, "-m", "chassis"]
    if hooked is not None:
        command = [sys.executable, "-c", HOOKED_CHASSIS, str(hooked.reached), str(hooked.go)]
    with out.open("w") as out_file, err.open("w") as err_file:
        process = subprocess.Popen(
            [*command, *map(str, args)],
            cwd=cwd,
            env=env,
            stdout=out_file if stdout is None else stdout,
            stderr=err_file,
            text=True,
            start_new_session=True,
        )
    return Run(process, out, err)


def ctrl_c(process: subprocess.Popen[str]) -> None:
    """What a terminal does on Ctrl-C: SIGINT to the whole foreground process group."""
    os.killpg(process.pid, signal.SIGINT)


def sigterm(process: subprocess.Popen[str]) -> None:
    """What a supervisor does: SIGTERM to the chassis process alone."""
    process.send_signal(signal.SIGTERM)


SIGNALS = pytest.mark.parametrize("send", [ctrl_c, sigterm], ids=["ctrl-c", "sigterm"])


def assert_interrupted(code: int, out: str, err: str) -> None:
    assert (code, err.strip()) == (130, INTERRUPTED), out + err
    assert "Traceback" not in out + err


def with_task(template_repo: Path, hold: Hold) -> dict[str, str]:
    """The template's copier.yml with a task that holds."""
    copier_yml = (template_repo / "copier.yml").read_text()
    return {"copier.yml": f"{copier_yml}_tasks:\n  - {json.dumps(hold.shell())}\n"}


# --- new ----------------------------------------------------------------------------

NEW_MOMENTS = {
    # Reading the template's versions: nothing is on disk yet.
    "versions": "ls-remote",
    # Copier checking out the template, to render it into the new directory.
    "checkout": "clone --no-checkout",
    # Copier running the template's task in the new directory, the files rendered.
    "task": None,
    # `uv lock` of the rendered project.
    "lock": None,
    # The first commit, the last step.
    "commit": "commit --quiet --no-verify",
}


@SIGNALS
@pytest.mark.parametrize("moment", NEW_MOMENTS)
def test_an_interrupted_new_leaves_nothing_behind(
    *,
    moment: str,
    send: Callable[[subprocess.Popen[str]], None],
    template_repo: Path,
    hold: Hold,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    here = Path.cwd()
    args: list[str | Path] = ["new", "svc", "--template", template_repo, "--defaults"]
    tools: Path | None = None
    with contextlib.ExitStack() as stack:
        if moment == "task":
            release(template_repo, "2.0.0", with_task(template_repo, hold))
            args.append("--trust")
        elif moment == "lock":
            pyproject = PYPROJECT.format(deps='"slowpkg"')
            release(template_repo, "2.0.0", {"project/pyproject.toml": pyproject})
            use_index(stack.enter_context(holding_index(hold)), tmp_path, monkeypatch)
        else:
            pattern = NEW_MOMENTS[moment]
            assert pattern is not None
            tools = git_stub(tmp_path / "tools", hold, pattern)
        run = start(*args, cwd=here, logs=tmp_path / "logs", path=tools)
        run.wait_for(hold.reached.exists)
        if moment != "versions":
            assert (here / "svc").is_dir(), "nothing written yet: the wrong moment"

        send(run.process)
        code, out, err = run.finish()

    assert_interrupted(code, out, err)
    assert list(here.iterdir()) == []


# --- update -------------------------------------------------------------------------


def cli_project(cli: Cli, template_repo: Path) -> Path:
    """A project generated from the template's 1.0.0, committed."""
    result = cli("new", "proj", "--template", template_repo, "--defaults")
    assert result.exit_code == 0, result.stderr
    return Path("proj").resolve()


def _locked_project(cli: Cli, template_repo: Path) -> Path:
    """A project with a pyproject.toml and a uv.lock, so an update locks again."""
    release(template_repo, "1.1.0", {"project/pyproject.toml": PYPROJECT.format(deps="")})
    result = cli("new", "locked", "--template", template_repo, "--defaults")
    assert result.exit_code == 0, result.stderr
    project = Path("locked").resolve()
    assert (project / "uv.lock").is_file(), result.stderr
    return project


V2 = {"project/CONTRIBUTING.md": "Be kind.\n", "project/config.toml": "[service]\nport = 1\n"}

UPDATE_MOMENTS = {
    # The throwaway clone of the project, with the lock taken.
    "clone": "clone --quiet --shared",
    # Copier checking out the template inside the clone's update.
    "checkout": "clone --no-checkout",
    # Copier applying the template's changes to the clone: its three-way merge.
    "merge": "apply --reject",
    # `uv lock` in the clone, because the update changed pyproject.toml.
    "relock": None,
    # The copy into the project (signals held off): after the second file.
    "apply": None,
}


@SIGNALS
@pytest.mark.parametrize("moment", UPDATE_MOMENTS)
def test_an_interrupted_update_leaves_every_file_as_it_was(
    *,
    moment: str,
    send: Callable[[subprocess.Popen[str]], None],
    cli: Cli,
    template_repo: Path,
    hold: Hold,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = ["update", "--trust"]
    tools: Path | None = None
    hooked: Hold | None = None
    with contextlib.ExitStack() as stack:
        if moment == "relock":
            project = _locked_project(cli, template_repo)
            pyproject = PYPROJECT.format(deps='"slowpkg"')
            release(template_repo, "2.0.0", {**V2, "project/pyproject.toml": pyproject})
            use_index(stack.enter_context(holding_index(hold)), tmp_path, monkeypatch)
        else:
            project = cli_project(cli, template_repo)
            release(template_repo, "2.0.0", V2)
            if moment == "apply":
                hooked = hold
            elif moment != "task":
                pattern = UPDATE_MOMENTS[moment]
                assert pattern is not None
                tools = git_stub(tmp_path / "tools", hold, pattern)
        before = snapshot(project)
        head = git("rev-parse", "HEAD", cwd=project)

        run = start(*args, cwd=project, logs=tmp_path / "logs", path=tools, hooked=hooked)
        run.wait_for(hold.reached.exists)
        assert update_locked(project), "the lock is not taken: the wrong moment"
        send(run.process)
        if moment == "apply":
            time.sleep(0.1)  # the signal is pending: signals are held off during the copy
            assert run.process.poll() is None
            assert snapshot(project) != before  # the copy has begun
            hold.release()
        code, out, err = run.finish()

        assert_interrupted(code, out, err)
        assert snapshot(project) == before
        assert git("status", "--porcelain", "--ignored", cwd=project) == ""
        assert git("rev-parse", "HEAD", cwd=project) == head
        assert not update_locked(project)

        again = cli("update", project, "--trust")
        assert again.exit_code == 0, again.stderr
    assert answers_of(project)["_commit"] == "2.0.0"
    assert (project / "CONTRIBUTING.md").read_text() == "Be kind.\n"


@SIGNALS
def test_an_update_interrupted_in_its_task_says_the_update_is_in_place(
    *,
    send: Callable[[subprocess.Popen[str]], None],
    cli: Cli,
    template_repo: Path,
    hold: Hold,
    tmp_path: Path,
) -> None:
    """The template's tasks run in the project once the update is in it, as `copier
    update` runs them: an interruption there leaves the update in place, uncommitted
    (Copier's would too), and the message says that, and that the tasks were cut short."""
    project = cli_project(cli, template_repo)
    release(template_repo, "2.0.0", {**V2, **with_task(template_repo, hold)})

    run = start("update", "--trust", cwd=project, logs=tmp_path / "logs")
    run.wait_for(hold.reached.exists)
    assert (project / "CONTRIBUTING.md").is_file(), "the update is not in place yet"
    send(run.process)
    code, out, err = run.finish()

    expected = (
        f"interrupted: {project} was updated to template 2.0.0, uncommitted, but the "
        "template's tasks were cut short; run them again by hand (`_tasks` in its "
        "copier.yml), review with `git diff`, then commit"
    )
    assert (code, err.strip()) == (130, expected), out + err
    assert answers_of(project)["_commit"] == "2.0.0"
    assert (project / "CONTRIBUTING.md").read_text() == "Be kind.\n"
    assert not update_locked(project)


# --- two updates at once ------------------------------------------------------------


def _single_update(cli: Cli, project: Path, tmp_path: Path, *args: str) -> dict[str, bytes]:
    """The tree one `chassis update ARGS` leaves, run on a copy of ``project``."""
    copy = tmp_path / "reference" / project.name
    shutil.copytree(project, copy, symlinks=True)
    result = cli("update", copy, *args)
    assert result.exit_code == 0, result.stderr
    return snapshot(copy)


def _in_progress(project: Path) -> str:
    return (
        f"error: another chassis update is running in {project}; "
        "wait for it to finish, then run the update again"
    )


def test_a_second_update_while_one_runs_is_refused(
    cli: Cli, template_repo: Path, hold: Hold, tmp_path: Path
) -> None:
    project = cli_project(cli, template_repo)
    release(template_repo, "2.0.0", V2)
    expected = _single_update(cli, project, tmp_path)
    tools = git_stub(tmp_path / "tools", hold, "clone --quiet --shared")
    first = start("update", cwd=project, logs=tmp_path / "first", path=tools)
    first.wait_for(hold.reached.exists)

    second = start("update", cwd=project, logs=tmp_path / "second", path=tools)
    code, out, err = second.finish()
    assert (code, out, err.strip()) == (1, "", _in_progress(project))
    assert update_locked(project)  # still the first one's

    hold.release()
    code, out, err = first.finish()
    assert code == 0, out + err
    assert snapshot(project) == expected
    assert not update_locked(project)


def test_an_update_that_checked_the_tree_before_another_finished_refuses(
    cli: Cli, template_repo: Path, hold: Hold, tmp_path: Path
) -> None:
    """The second run found the tree clean, then the first applied its update before the
    second took the lock: the second must not merge over the first's uncommitted result."""
    project = cli_project(cli, template_repo)
    release(template_repo, "2.0.0", V2)
    expected = _single_update(cli, project, tmp_path, "--set", "greeting=hi")
    # The lock's own `git rev-parse --absolute-git-dir`: after the checks, before the lock.
    tools = git_stub(tmp_path / "tools", hold, "rev-parse --absolute-git-dir")
    second = start("update", cwd=project, logs=tmp_path / "second", path=tools)
    second.wait_for(hold.reached.exists)

    first = start("update", "--set", "greeting=hi", cwd=project, logs=tmp_path / "first")
    code, out, err = first.finish()
    assert code == 0, out + err
    hold.release()
    code, out, err = second.finish()

    assert code == 1, out + err
    assert f"error: {project} has uncommitted changes" in err
    assert snapshot(project) == expected
    assert not update_locked(project)


@pytest.mark.slow  # five rounds of two updates
def test_two_updates_started_together_amount_to_one(
    cli: Cli, template_repo: Path, tmp_path: Path
) -> None:
    project = cli_project(cli, template_repo)
    release(template_repo, "2.0.0", V2)
    expected = _single_update(cli, project, tmp_path)

    for attempt in range(5):
        logs = tmp_path / f"attempt{attempt}"
        runs = [start("update", cwd=project, logs=logs / str(i)) for i in range(2)]
        (ok, ok_out, ok_err), (refused, _, refused_err) = sorted(run.finish() for run in runs)

        assert ok == 0, ok_out + ok_err
        assert refused == 1, refused_err
        # Refused by the lock, or (started after the other had finished) by its result.
        assert refused_err.strip() == _in_progress(project) or refused_err.startswith(
            f"error: {project} has uncommitted changes"
        ), refused_err
        assert snapshot(project) == expected
        assert not update_locked(project)
        git("reset", "--quiet", "--hard", cwd=project)
        git("clean", "-fdxq", cwd=project)


# --- after the change is made ---------------------------------------------------------


@contextlib.contextmanager
def full_pipe() -> Iterator[int]:
    """The write end of a pipe nobody reads and that is already full: the first write
    to it blocks, as output to a terminal paused with Ctrl-S does."""
    read, write = os.pipe()
    os.set_blocking(write, False)
    with contextlib.suppress(BlockingIOError):
        while True:
            os.write(write, b"x" * 65536)
    os.set_blocking(write, True)
    try:
        yield write
    finally:
        os.close(write)
        os.close(read)


def _writing_to_a_full_pipe(process: subprocess.Popen[str]) -> bool:
    """Whether ``process`` sleeps in the kernel's pipe write (Linux: /proc/PID/wchan)."""
    try:
        return "pipe_write" in Path(f"/proc/{process.pid}/wchan").read_text()
    except OSError:
        return False


def _has_commit(project: Path) -> bool:
    if not project.is_dir():
        return False
    argv = ["git", "rev-parse", "--verify", "--quiet", "HEAD"]
    return subprocess.run(argv, cwd=project, capture_output=True, check=False).returncode == 0


def test_an_interrupted_report_of_new_does_not_say_nothing_changed(
    template_repo: Path, tmp_path: Path
) -> None:
    here = Path.cwd()
    with full_pipe() as stdout:
        run = start(
            "new",
            "svc",
            "--template",
            template_repo,
            "--defaults",
            cwd=here,
            logs=tmp_path / "logs",
            stdout=stdout,
        )
        # Committed, and blocked writing the report to the full pipe.
        run.wait_for(lambda: _has_commit(here / "svc") and _writing_to_a_full_pipe(run.process))
        assert run.process.poll() is None  # blocked writing its report
        sigterm(run.process)
        code, _, err = run.finish()

    assert "Traceback" not in err
    assert code == 130
    assert err.strip() == f"interrupted: {here / 'svc'} was created; only its report was cut short"


def test_an_interrupted_report_of_update_does_not_say_nothing_changed(
    cli: Cli, template_repo: Path, tmp_path: Path
) -> None:
    project = cli_project(cli, template_repo)
    release(template_repo, "2.0.0", V2)
    before = snapshot(project)
    with full_pipe() as stdout:
        run = start("update", cwd=project, logs=tmp_path / "logs", stdout=stdout)
        # Copied, and the lock released: what is left is the report.
        run.wait_for(lambda: snapshot(project) != before and not update_locked(project))
        assert run.process.poll() is None  # blocked writing its report
        sigterm(run.process)
        code, _, err = run.finish()

    assert "Traceback" not in err
    assert code == 130
    assert err.strip() == (
        f"interrupted: {project} was updated to template 2.0.0, uncommitted; only its report "
        "was cut short; review with `git diff`, then commit"
    )


# --- a sweep over a whole update ----------------------------------------------------

SWEEP_SPREAD = 10  # SIGINTs spread evenly over a whole run
SWEEP_AFTER_WRITE = [0.0, 0.002, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.08]
NOTHING_CHANGED = "interrupted: nothing was changed"
REPORT_END = "`git diff` shows every change."


def _sweep_run(
    pristine: Path, where: Path, delay: float | None, *, after_write: bool = False
) -> tuple[int, str, str, Path, Path]:
    """`python -m chassis update` on a fresh copy of ``pristine`` at ``where``, with a
    fresh, empty TMPDIR, and SIGINT to it ``delay`` seconds after it started, or with
    ``after_write`` after it began writing into the project (None: no signal, and the
    seconds the run took are returned in place of its stderr). Returns the exit code,
    stdout, stderr, the project and the TMPDIR."""
    project = where / pristine.name
    shutil.copytree(pristine, project, symlinks=True)
    tmp = where / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "chassis", "update"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    # After write: once the first file the update adds appears.
    out, err = _sigint_and_finish(
        process, started, delay, after=project / "CONTRIBUTING.md" if after_write else None
    )
    return process.returncode, out, err, project, tmp


def _sigint_and_finish(
    process: subprocess.Popen[str], started: float, delay: float | None, *, after: Path | None
) -> tuple[str, str]:
    """SIGINT to ``process`` ``delay`` seconds after ``started``, or after the path
    ``after`` appeared; then its stdout and stderr (None: no signal, and the seconds the
    run took in place of its stderr)."""
    if delay is not None:
        if after is not None:
            while not after.exists() and process.poll() is None:
                time.sleep(0.0005)
            started = time.monotonic()
        time.sleep(max(0.0, delay - (time.monotonic() - started)))
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    try:
        out, err = process.communicate(timeout=WAIT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        pytest.fail("chassis did not finish")
    if delay is None:
        err = f"{time.monotonic() - started}"
    return out, err


@pytest.mark.slow  # about twenty real updates
def test_a_sigint_at_any_moment_of_an_update_gets_a_message_that_matches_the_tree(
    cli: Cli, template_repo: Path, tmp_path: Path
) -> None:
    """SIGINT at moments spread over a whole `chassis update` with a conflict, and at
    moments just after it began writing into the project: after each, either nothing
    changed (and the message says so), or the whole update is in place, uncommitted (and
    the message says so, naming the conflict), or the update finished first. No run
    leaves anything in the temporary directory."""
    pristine = cli_project(cli, template_repo)
    (pristine / "config.toml").write_text("[service]\nport = 9000\ntimeout = 5\n")
    git("commit", "--quiet", "-am", "the team's port", cwd=pristine)
    release(template_repo, "2.0.0", V2)  # port = 1: a conflict with the team's 9000
    head = snapshot(pristine)

    code, report, seconds, reference, tmp = _sweep_run(pristine, tmp_path / "reference", None)
    assert code == 4, seconds
    assert report.rstrip().endswith(REPORT_END)
    assert list(tmp.iterdir()) == []
    updated = snapshot(reference)
    assert updated != head
    assert "<<<<<<< " in updated["config.toml"].decode()
    duration = float(seconds)
    in_place = (
        "was updated to template 2.0.0, uncommitted; only its report was cut short; "
        "1 file(s) have conflicts (config.toml): resolve them, review with `git diff`, "
        "then commit"
    )
    moments = [(duration * i / (SWEEP_SPREAD - 1), False) for i in range(SWEEP_SPREAD)]
    moments += [(delay, True) for delay in SWEEP_AFTER_WRITE]

    outcomes: list[str] = []
    for run, (delay, after_write) in enumerate(moments):
        where = tmp_path / f"run-{run}"
        code, out, err, project, tmp = _sweep_run(pristine, where, delay, after_write=after_write)
        since = "it began writing" if after_write else "it started"
        what = f"SIGINT {delay:.3f}s after {since} (a run takes {duration:.3f}s): {code}, {err!r}"
        assert list(tmp.rglob("*")) == [], what
        status = git("status", "--porcelain", "--ignored", "--untracked-files=all", cwd=project)
        if code not in {4, 130} and not out and "chassis" not in err:
            # Python's own start-up (importing runpy, say), before any chassis code runs.
            outcome = "stopped before chassis started"
            assert (snapshot(project), status) == (head, ""), what
        elif out.rstrip().endswith(REPORT_END):
            # Finished, report and all; a SIGINT while Python shuts down may still kill
            # it (exit -2), once there is nothing left to cut short.
            outcome = "finished"
            assert code in {4, -signal.SIGINT}, what
            assert err == "", what
            assert snapshot(project) == updated, what
        elif (code, err.strip()) == (130, NOTHING_CHANGED):
            outcome = "nothing changed"
            assert (snapshot(project), status) == (head, ""), what
        else:
            outcome = "in place"
            assert (code, err.strip()) == (130, f"interrupted: {project} {in_place}"), what
            assert snapshot(project) == updated, what
            assert " config.toml" in status, what
        outcomes.append(f"{delay:.3f}{'w' if after_write else 's'}: {outcome}")
    # The sweep covered the run: it interrupted both before the change and after it.
    assert any(o.endswith("nothing changed") for o in outcomes), outcomes
    assert any(o.endswith("in place") for o in outcomes), outcomes


NEW_SWEEP_SPREAD = 8  # SIGINTs spread evenly over a whole `chassis new`
NEW_SWEEP_AFTER_COMMIT = [0.0, 0.002, 0.005, 0.01, 0.02]


def _new_sweep_run(
    template: Path, where: Path, delay: float | None, *, after_commit: bool = False
) -> tuple[int, str, str, Path]:
    """`python -m chassis new proj` in ``where`` with a fresh, empty TMPDIR, and SIGINT to
    it ``delay`` seconds after it started, or with ``after_commit`` after the project's
    first commit appeared (None: no signal, and the seconds the run took are returned in
    place of its stderr). Returns the exit code, stdout, stderr and the TMPDIR."""
    tmp = where / "tmp"
    tmp.mkdir(parents=True)
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "chassis", "new", "proj", "--template", str(template), "--defaults"],
        cwd=where,
        env={**os.environ, "TMPDIR": str(tmp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    # git writes the reflog with the first commit.
    reflog = where / "proj/.git/logs/HEAD"
    out, err = _sigint_and_finish(process, started, delay, after=reflog if after_commit else None)
    return process.returncode, out, err, tmp


@pytest.mark.slow  # a dozen real runs of `chassis new`
def test_a_sigint_at_any_moment_of_new_gets_a_message_that_matches_what_exists(
    template_repo: Path, tmp_path: Path
) -> None:
    """As for update: after a SIGINT at any moment of `chassis new`, either there is no
    project (and the message says nothing changed), or the whole project is there,
    committed (and the message says it was created), or new finished first. No run leaves
    anything in the temporary directory, Copier's template clones included."""
    code, _, seconds, tmp = _new_sweep_run(template_repo, tmp_path / "reference", None)
    assert code == 0, seconds
    assert list(tmp.iterdir()) == []
    created = snapshot(tmp_path / "reference" / "proj")
    duration = float(seconds)
    moments = [(duration * i / (NEW_SWEEP_SPREAD - 1), False) for i in range(NEW_SWEEP_SPREAD)]
    moments += [(delay, True) for delay in NEW_SWEEP_AFTER_COMMIT]

    outcomes: list[str] = []
    for run, (delay, after_commit) in enumerate(moments):
        where = tmp_path / f"run-{run}"
        code, out, err, tmp = _new_sweep_run(template_repo, where, delay, after_commit=after_commit)
        since = "its first commit" if after_commit else "it started"
        what = f"SIGINT {delay:.3f}s after {since} (a run takes {duration:.3f}s): {code}, {err!r}"
        assert list(tmp.rglob("*")) == [], what
        left = sorted(p.name for p in where.iterdir() if p.name != "tmp")
        if code not in {0, 130} and not out and "chassis" not in err:
            outcome = "stopped before chassis started"
            assert left == [], what
        elif "cd proj" in out:
            outcome = "finished"
            assert code in {0, -signal.SIGINT}, what
            assert (left, snapshot(where / "proj")) == (["proj"], created), what
        elif (code, err.strip()) == (130, NOTHING_CHANGED):
            outcome = "nothing created"
            assert left == [], what
        else:
            outcome = "created"
            expected = f"interrupted: {where / 'proj'} was created; only its report was cut short"
            assert (code, err.strip()) == (130, expected), what
            assert (left, snapshot(where / "proj")) == (["proj"], created), what
            assert git("status", "--porcelain", "--ignored", cwd=where / "proj") == "", what
        outcomes.append(f"{delay:.3f}{'c' if after_commit else 's'}: {outcome}")
    assert any(o.endswith("nothing created") for o in outcomes), outcomes
    assert any(o.endswith((": created", ": finished")) for o in outcomes), outcomes
