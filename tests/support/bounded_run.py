"""Run ``paperkb`` (or MkDocs) on hostile input in a child process that cannot take the test run down with it.

A regression of a limit would hang (a FIFO), eat gigabytes (an alias bomb, /dev/zero) or segfault ('[' x 50,000):
in the test process that would stall or kill the whole suite. Here the child has a wall-clock timeout and an
address-space limit, so such a regression is one failing test with the reason in its message.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

#: Address space of the child: Python with paperkb imported needs ~100 MB; a 1.1 GB alias expansion does not fit.
MEMORY_LIMIT = 1024 * 1024 * 1024


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_paperkb(root: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``python -m paperkb ARGS`` in ``root``: its exit status, stdout and stderr (TimeoutExpired if it hangs)."""
    return subprocess.run(
        [sys.executable, "-m", "paperkb", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_limit_memory,
    )


def cpu_run_paperkb(root: Path, *args: str, timeout: float = 60) -> tuple[subprocess.CompletedProcess[str], float]:
    """:func:`run_paperkb`, and the CPU seconds the child used: a busy machine (other test runs) stretches wall time,
    not CPU time, so a time limit on it does not flake."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = run_paperkb(root, *args, timeout=timeout)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return result, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def failed_cleanly(result: subprocess.CompletedProcess[str]) -> bool:
    """Exit status 1 (problems found), no traceback, not killed by a signal."""
    return result.returncode == 1 and "Traceback" not in result.stderr + result.stdout
