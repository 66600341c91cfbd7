"""A worker we start dies with the woo process that started it (a killed export or collect leaves no
orphan holding the workspace lock or the parent's pipes)."""

import os
import signal
import subprocess
import sys
import time

import pytest

PARENT = r"""
import os, sys, time
from concurrent.futures import ProcessPoolExecutor
sys.path.insert(0, sys.argv[1])
from woo_collector.children import die_with_parent
init = die_with_parent if sys.argv[2] == "yes" else None
with ProcessPoolExecutor(2, initializer=init) as pool:
    futures = [pool.submit(time.sleep, 60) for _ in range(2)]
    time.sleep(0.5)
    print(" ".join(str(p) for p in pool._processes), flush=True)
    time.sleep(60)
"""


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
@pytest.mark.parametrize("initializer, survives", [("yes", False), ("no", True)])
def test_pool_workers_die_with_their_killed_parent(initializer, survives):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p = subprocess.Popen([sys.executable, "-c", PARENT, root, initializer], stdout=subprocess.PIPE, text=True)
    pids = [int(x) for x in p.stdout.readline().split()]
    assert len(pids) == 2
    p.send_signal(signal.SIGKILL)
    p.wait()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline and not survives:
        time.sleep(0.05)
    try:
        assert any(alive(pid) for pid in pids) is survives
    finally:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
