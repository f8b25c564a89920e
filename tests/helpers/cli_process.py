"""The govbot command line in a process of its own, without paying its imports every time.

Each test worker starts one single-threaded process that imports the command line once, then
forks a child for every command: the child is a fresh copy (nothing one command does reaches
the next), takes the command's environment, working directory and arguments, writes to its
own stdout and stderr, and exits with the command's code, as `python -m govbot` would. About
half a second of imports a command is saved (benchmarks/test_times.md).
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import struct
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO, Any

# Runs in the forking process; the child ends with os._exit so no cleanup of the parent's runs.
SERVER = r"""
import json, os, runpy, struct, sys, traceback

import govbot.cli.main  # noqa: F401  (what every command imports, imported once)
from govbot.cli import app


def run(req):
    os.chdir(req["cwd"])
    os.environ.clear()
    os.environ.update(req["env"])
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(os.open(req["stdout"], os.O_WRONLY), 1)
    os.dup2(os.open(req["stderr"], os.O_WRONLY), 2)
    # The consoles were made for the forking process's streams: make them for the command's.
    out_kw, err_kw = app.console_settings()
    app.out.__init__(**out_kw)
    app.err.__init__(**err_kw)
    sys.argv = [sys.executable, *req["args"]]
    code = 0
    try:
        runpy.run_module("govbot", run_name="__main__", alter_sys=True)
    except SystemExit as exit:
        if isinstance(exit.code, str):
            print(exit.code, file=sys.stderr)
            code = 1
        else:
            code = exit.code or 0
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    return code


requests, replies = sys.stdin.buffer, sys.stdout.buffer
while header := requests.read(4):
    (size,) = struct.unpack(">I", header)
    req = json.loads(requests.read(size))
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = run(req)
        finally:
            os._exit(code)
    replies.write(struct.pack(">i", pid))  # first, so a command that hangs can be stopped
    replies.flush()
    _, status = os.waitpid(pid, 0)
    replies.write(struct.pack(">i", os.waitstatus_to_exitcode(status)))
    replies.flush()
"""


class CommandServer:
    """One forking process per test worker; commands run one at a time through it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None

    def _process(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
            self._proc = subprocess.Popen(
                [sys.executable, "-c", SERVER],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
            )
        return self._proc

    def run(
        self, args: list[str], env: dict[str, str], cwd: Path | None, timeout: float
    ) -> subprocess.CompletedProcess[str]:
        with self._lock, tempfile.TemporaryDirectory() as tmp:
            out, err = Path(tmp, "stdout"), Path(tmp, "stderr")
            out.touch()
            err.touch()
            request = json.dumps(
                {
                    "args": args,
                    "env": env,
                    "cwd": str(cwd or Path.cwd()),
                    "stdout": str(out),
                    "stderr": str(err),
                }
            ).encode()
            proc = self._process()
            assert proc.stdin is not None
            assert proc.stdout is not None
            proc.stdin.write(struct.pack(">I", len(request)) + request)
            proc.stdin.flush()
            started = _read(proc.stdout, 4, timeout)
            reply = _read(proc.stdout, 4, timeout) if started else None
            if reply is None:  # it hangs: stop the command and the server, as run(timeout=) does
                if started:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(struct.unpack(">i", started)[0], signal.SIGKILL)
                proc.kill()
                proc.wait()
                self._proc = None
                raise subprocess.TimeoutExpired(["govbot", *args], timeout)
            (code,) = struct.unpack(">i", reply)
            return subprocess.CompletedProcess(
                ["govbot", *args], code, out.read_text(), err.read_text()
            )


def _read(stream: IO[bytes], size: int, timeout: float) -> bytes | None:
    with selectors.DefaultSelector() as sel:
        sel.register(stream, selectors.EVENT_READ)
        if not sel.select(timeout):
            return None
    data = stream.read(size)
    return data if len(data) == size else None


SERVER_PROCESS = CommandServer()


def run_command(
    args: tuple[str, ...], env: dict[str, Any], cwd: Path | None, timeout: float
) -> subprocess.CompletedProcess[str]:
    return SERVER_PROCESS.run(list(args), {k: str(v) for k, v in env.items()}, cwd, timeout)
