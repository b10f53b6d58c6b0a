"""Claims on job-store requests: which live process is running a request now.

A claim is ``host/pid/start/nonce`` (:func:`claimant_id`) with a lease (``lease_until``, Unix
time). On the claim's own host it holds while that process lives, which this host can check
exactly (:func:`claimant_alive`); from another host (a store on a shared disk) it holds until
the lease runs out, so the claimant renews it (:class:`LeaseKeeper`). The job store
(:mod:`runtime.execution.jobstore`) takes and drops claims inside its transactions.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time
import uuid
from contextlib import suppress
from pathlib import Path

__all__ = ["LEASE_SECONDS", "LeaseKeeper", "claimant_alive", "claimant_id"]

LEASE_SECONDS = 60.0
"""How long a claim holds without renewal; the claimant renews it every quarter of this."""


def _process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), or None if unknown.

    With the pid, it names a process uniquely: a pid reused after the process died comes
    with another start time. A zombie (dead, not yet reaped) counts as gone.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # fields 3.. of proc(5); comm may hold spaces
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        return None
    return fields[19]  # field 22, starttime


def claimant_id() -> str:
    """A new claimant in this process: ``host/pid/start/nonce``.

    ``start`` is the process's start time (see :func:`claimant_alive`); the nonce tells
    apart two calls in one process (threads), so that they too wait for each other.
    """
    pid = os.getpid()
    return f"{socket.gethostname()}/{pid}/{_process_start(pid) or '-'}/{uuid.uuid4().hex[:8]}"


def claimant_alive(claimed_by: str, lease_until: float | None, now: float | None = None) -> bool:
    """Whether a claim still holds.

    On this host a claim holds while its process lives: the pid exists and, where the
    start time is known (Linux), has the same start time, so a pid reused by another
    process does not hold it; the lease does not matter, so a claimant too busy to renew
    it in time keeps its claim. A claim from another host (or one this host cannot check)
    holds until ``lease_until``.

    Args:
        claimed_by: The claimant, as :func:`claimant_id` wrote it.
        lease_until: Unix time the lease runs to, or None (no lease).
        now: Unix time to compare with. Defaults to the current time.
    """
    now = time.time() if now is None else now
    leased = lease_until is not None and lease_until > now
    host, pid_text, start, *_ = [*claimed_by.split("/"), "", ""]
    if host != socket.gethostname() or not pid_text.isdigit():
        return leased
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user
    except OSError:
        return leased
    current = _process_start(pid)
    if current is None:
        # A zombie on Linux, or no /proc: then only the lease can tell.
        return leased and not Path("/proc/self/stat").exists()
    return current == start or (start == "-" and leased)


class LeaseKeeper:
    """Renews a claim's lease in the job store while the ``with`` block runs.

    A background thread, on its own SQLite connection, moves ``lease_until`` of the
    ``requests`` row ``key`` to :data:`LEASE_SECONDS` ahead every quarter of that, as long
    as ``claimed_by`` still holds the claim. It never takes a claim, only keeps one.
    """

    def __init__(self, path: Path, key: str, claimed_by: str) -> None:
        """Keeps ``claimed_by``'s claim on request ``key`` in the store file ``path``."""
        self._args = (path, key, claimed_by)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="qattn-lease", daemon=True)

    def _run(self) -> None:
        path, key, claimed_by = self._args
        try:
            db = sqlite3.connect(path, timeout=5.0, isolation_level=None)
        except sqlite3.Error:
            return  # the claim then holds on this host by pid, elsewhere until it expires
        try:
            while not self._stop.wait(LEASE_SECONDS / 4):
                with suppress(sqlite3.Error):  # the store is busy: the next beat tries again
                    db.execute(
                        "UPDATE requests SET lease_until = ? WHERE key = ? AND claimed_by = ?",
                        (time.time() + LEASE_SECONDS, key, claimed_by),
                    )
        finally:
            db.close()

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
