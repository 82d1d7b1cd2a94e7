"""The zygote: a pre-forked process that forks new instances in a few milliseconds.

It imports what every instance needs (asyncio, the worker and its upstream client, h11, the
standard-library modules the generated bundles use) once, freezes the heap (``gc.freeze()``)
so forked children share those pages, and then waits for commands on stdin, one JSON object
per line:

    {"op": "fork", "config": {...}}   ->   {"op": "forked", "instance": N, "pid": P}

Each child's stderr goes to the file its config names (``stderr``), so a crash can be shown.
It reports children that exit (``{"op": "exited", "pid": P, "status": S}``) and never outlives
the router: it and its children ask the kernel to kill them when their parent dies
(``PR_SET_PDEATHSIG``), and they also exit on end of input.

The bundle itself is *not* imported here: that is what ``code_load`` measures in each child.
"""

from __future__ import annotations

import asyncio  # noqa: F401  - preloaded for the children
import contextlib
import contextvars  # noqa: F401
import dataclasses  # noqa: F401
import enum  # noqa: F401
import gc
import json
import os
import select
import signal
import sys
import traceback
from typing import Any

from models.live import worker
from models.live.worker import die_with_parent


def _child(config: dict[str, Any], parent: int) -> None:
    die_with_parent()
    if os.getppid() != parent:  # the zygote died between fork and prctl
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the router decides when we stop
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    stderr = config.get("stderr")
    if stderr:  # the runtime shows the end of this file when the instance crashes
        with contextlib.suppress(OSError):
            os.dup2(os.open(stderr, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), 2)
    gc.unfreeze()
    code = 0
    try:
        worker.main(config)
    except BaseException:
        code = 1
        with contextlib.suppress(Exception):
            traceback.print_exc()
            sys.stderr.flush()
    finally:
        os._exit(code)


def _write(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _reap() -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _write({"op": "exited", "pid": pid, "status": os.waitstatus_to_exitcode(status)})


def main() -> None:
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.collect()
    gc.freeze()
    me = os.getpid()
    _write({"op": "up", "pid": me})
    fd = sys.stdin.fileno()
    pending = b""
    while True:
        ready, _, _ = select.select([fd], [], [], 0.2)
        _reap()
        if not ready:
            continue
        data = os.read(fd, 65536)
        if not data:
            break
        pending += data
        *lines, pending = pending.split(b"\n")
        for line in lines:
            message = json.loads(line)
            if message.get("op") == "fork":
                pid = os.fork()
                if pid == 0:
                    _child(message["config"], me)
                _write({"op": "forked", "instance": message["config"]["instance"], "pid": pid})
    _reap()


if __name__ == "__main__":
    main()
