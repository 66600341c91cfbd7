"""Child processes that end with ours.

A worker or server we start must not outlive a ``woo`` process that is killed (cron's timeout, a
handler's Ctrl-C, the OOM killer): an orphan keeps the workspace lock and the pipes it inherited,
so the next run waits for it. ``die_with_parent`` is run in the child (a ``preexec_fn`` before exec,
or a process pool's ``initializer``): on Linux the kernel sends it SIGKILL when its parent dies.
"""

from __future__ import annotations

import os
import signal


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux ``PR_SET_PDEATHSIG``;
    elsewhere nothing happens)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def descendants(pid: int | None = None) -> list[tuple[int, str]]:
    """(pid, command name) of every running process descended from ``pid`` (default: this one),
    read from Linux's /proc; empty elsewhere. For checks and benchmarks of what a run started."""
    kids: dict[int, list[int]] = {}
    comm: dict[int, str] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for d in entries:
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            comm[int(d)] = stat[stat.index("(") + 1:stat.rindex(")")]
            kids.setdefault(int(stat[stat.rindex(")") + 2:].split()[1]), []).append(int(d))
    out, todo = [], [os.getpid() if pid is None else pid]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.append((k, comm[k]))
            todo.append(k)
    return out
