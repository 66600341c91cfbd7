"""Child processes that end with ours.

A worker or server we start must not outlive a ``woo`` process that is killed (cron's timeout, a
handler's Ctrl-C, the OOM killer): an orphan keeps the workspace lock and the pipes it inherited,
so the next run waits for it. ``die_with_parent`` is run in the child (a ``preexec_fn`` before exec,
or a process pool's ``initializer``): on Linux the kernel sends it SIGKILL when its parent dies.
"""

from __future__ import annotations

import signal


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux ``PR_SET_PDEATHSIG``;
    elsewhere nothing happens)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
