"""A resumable, content-addressed record of every execution request (one SQLite file).

Every request is keyed by :func:`runtime.execution.requests.request_key` and recorded **before** it
is submitted, so a killed process loses nothing and repeats nothing (sinter's
``collect`` discipline):

========== ==================================================================
PENDING    recorded; ``submit`` has not returned (or the process died in it)
SUBMITTED  ``submit`` returned; the remote job id (if any) is recorded
DONE       the result is stored as JSON
ERROR      the request failed; a one-line message is kept
========== ==================================================================

:func:`run_request` answers a DONE request from the store, resumes a SUBMITTED one by
``executor.retrieve(job_id)``, and re-submits one left PENDING (or SUBMITTED by a local
executor, which has no job id to resume). Trade-off: for a remote service, a process
killed after the service accepted a job but before ``submit`` returned its id leaves a
PENDING record, and the re-submission runs a second, paid job. The id is written in the
statement right after ``submit`` returns, so that window is the network round trip only.
A job that ran and failed (ERROR, ``failed_in = "result"``) is not retried unless forced:
a failure that repeats should not burn queue time twice. A request that ``submit`` refused
(no connection, a rejected credential: ``failed_in = "submit"``) ran nowhere and is
submitted again next time; its error stays visible until then.

Records keep timestamps, profile name and content digest, executor name and fingerprint,
kind, shots/precision, artifact path, Qiskit version and the caller's ``spec`` (what is
needed to rebuild the request later), never a credential: text is scrubbed of the values of
credential-like environment variables (``*TOKEN*``, ``*API_KEY*``, ``*SECRET*``,
``*PASSWORD*``) before it is written. The store is ``$QATTN_JOBSTORE`` or
``~/.qattn/jobs.sqlite`` unless a path is given; it uses WAL mode, so readers never block a
writer, and writers wait for each other (SQLite's busy timeout, 30 s).

One execution per request, also across processes: a process that is about to submit or
resume a request first *claims* it, inside one ``BEGIN IMMEDIATE`` transaction that reads
the record and writes ``claimed_by`` (host, pid and the process's start time) and
``lease_until``. Another process running the same request meanwhile finds the claim and
polls until the record is DONE (then returns the stored result) or the claim is gone. The
claimant renews its lease every :data:`LEASE_SECONDS` / 4 from a background thread and
drops the claim when it finishes or fails. A claimant that died (kill -9, power loss)
blocks nobody for long: on the same host its claim counts only while its pid lives (with
the same start time, so a reused pid does not count), and a claim from another host only
until its lease expires.

Only the key is an identity (canonical JSON, hashed). What a record *stores* (results,
fingerprints, specs) is plain sorted JSON that allows NaN and infinity: a noisy estimate
can be NaN, and storing it must not fail after the job has run.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hardware_profiles.errors import JobError
from runtime.execution.claims import LEASE_SECONDS, LeaseKeeper, claimant_alive, claimant_id
from runtime.execution.secrets import redact_secrets, redacted_line

if TYPE_CHECKING:  # imported on use: listing the store (``qrun jobs``) loads neither
    from hardware_profiles.profile import DeviceProfile
    from runtime.execution.executor import (
        EstimateResult,
        EstimatorPub,
        Executor,
        JobHandle,
        RequestKind,
        SampleResult,
        SamplerPub,
    )

__all__ = [
    "DONE",
    "ERROR",
    "JOBSTORE_ENV",
    "PENDING",
    "SUBMITTED",
    "JobRecord",
    "JobStore",
    "default_store_path",
    "result_from_json",
    "result_to_json",
    "run_request",
]

JOBSTORE_ENV = "QATTN_JOBSTORE"
PENDING, SUBMITTED, DONE, ERROR = "PENDING", "SUBMITTED", "DONE", "ERROR"
_TERMINAL_REMOTE = {"DONE", "ERROR", "CANCELLED"}
_WAIT_POLL_MAX = 1.0  # seconds between looks at a request another process is running

_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    key TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    kind TEXT NOT NULL,
    profile TEXT NOT NULL,
    profile_digest TEXT,
    executor TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    shots INTEGER,
    precision REAL,
    job_id TEXT,
    artifact TEXT,
    qiskit_version TEXT NOT NULL,
    spec TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    result TEXT,
    error TEXT,
    failed_in TEXT,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    claimed_by TEXT,
    lease_until REAL
);
CREATE INDEX IF NOT EXISTS requests_job_id ON requests (job_id);
"""
_ADDED_COLUMNS = {  # columns that stores written by earlier versions lack
    "profile_digest": "TEXT",
    "claimed_by": "TEXT",
    "lease_until": "REAL",
}


def default_store_path() -> Path:
    """``$QATTN_JOBSTORE`` if set, else ``~/.qattn/jobs.sqlite``."""
    env = os.environ.get(JOBSTORE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".qattn" / "jobs.sqlite"


def _stored_json(value: Any) -> str:
    # Not canonical_json: stored data is not an identity, and may hold NaN or infinity.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_plain)


def _one_line(exc: BaseException) -> str:
    return redacted_line(exc, limit=500)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class JobRecord:
    """One row of the store.

    Attributes:
        key: the request key (SHA-256 hex).
        status: ``PENDING``, ``SUBMITTED``, ``DONE`` or ``ERROR``.
        kind: ``sample`` or ``estimate``.
        profile: the profile name.
        profile_digest: the profile's content digest (:meth:`DeviceProfile.digest
            <hardware_profiles.DeviceProfile.digest>`), or None if only a name was given.
        executor: the executor's name.
        fingerprint: the executor's fingerprint.
        shots: shots, or None.
        precision: precision, or None.
        job_id: the remote job id, or None.
        artifact: the artifact path the request came from, or None.
        qiskit_version: Qiskit's version when the request was (last) submitted.
        spec: the caller's description of the request (e.g. the CLI's flags).
        attempts: how many times it was submitted.
        result: the result as JSON data (:func:`result_to_json`), or None.
        error: the one-line failure message, or None.
        failed_in: ``submit`` or ``result``: where it failed, or None.
        created: ISO 8601 UTC time of the first record.
        updated: ISO 8601 UTC time of the last change.
        claimed_by: The process submitting or resuming the request now
            (:func:`claimant_id`), or None.
        lease_until: Unix time the claim's lease runs to, or None.
    """

    key: str
    status: str
    kind: str
    profile: str
    profile_digest: str | None
    executor: str
    fingerprint: dict[str, Any]
    shots: int | None
    precision: float | None
    job_id: str | None
    artifact: str | None
    qiskit_version: str
    spec: dict[str, Any]
    attempts: int
    result: dict[str, Any] | None
    error: str | None
    failed_in: str | None
    created: str
    updated: str
    claimed_by: str | None = None
    lease_until: float | None = None

    def to_dict(self, with_result: bool = True) -> dict[str, Any]:
        """JSON-friendly fields (the result left out unless ``with_result``)."""
        doc = {name: getattr(self, name) for name in self.__dataclass_fields__}
        if not with_result:
            doc.pop("result")
        return doc


_BUSY_TIMEOUT = 30.0
"""Seconds a connection waits for another's lock (SQLite's busy timeout)."""


def _retry_locked(step: Callable[[], object], timeout: float = _BUSY_TIMEOUT) -> None:
    """Runs ``step``, retrying while the database is locked, for at most ``timeout`` s.

    Switching a new store to WAL (and creating its tables) while another process does the
    same can fail with "database is locked" at once: SQLite does not call its busy handler
    for every lock taken there. Seen in CI: one of four processes opening a fresh store
    failed.
    """
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        try:
            step()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


class JobStore:
    """The SQLite job store. Use as a context manager, or call :meth:`close`."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        """Opens (creating if needed) the store at ``path``; defaults to the default path."""
        self.path = Path(path).expanduser() if path is not None else default_store_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # timeout: SQLite's busy timeout, how long a writer waits for another's lock.
            self._db = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT, isolation_level=None)
            _retry_locked(lambda: self._db.execute("PRAGMA journal_mode=WAL"))
            _retry_locked(lambda: self._db.executescript(_SCHEMA))
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(requests)")}
            if not columns.issuperset(_ADDED_COLUMNS):
                self._add_columns()
        except (OSError, sqlite3.Error) as exc:
            raise JobError(f"{self.path}: cannot open job store ({_one_line(exc)})") from None
        self._db.row_factory = sqlite3.Row

    def _add_columns(self) -> None:
        # Under the write lock, so two processes opening an old store add each column once.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(requests)")}
            for name, sql_type in _ADDED_COLUMNS.items():
                if name not in columns:
                    self._db.execute(f"ALTER TABLE requests ADD COLUMN {name} {sql_type}")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        """Closes the connection."""
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A ``BEGIN IMMEDIATE`` transaction: holds the store's write lock until it ends.

        What is read inside cannot change before what is written inside is committed, so
        a read-then-claim in one transaction is atomic across processes. Waits up to the
        busy timeout (30 s) for another writer.

        Raises:
            JobError: the lock could not be taken or the commit failed.
        """
        self._execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._execute("COMMIT")

    def __enter__(self) -> JobStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, params)
        except sqlite3.Error as exc:
            raise JobError(f"{self.path}: job store error ({_one_line(exc)})") from None

    def _record(self, row: sqlite3.Row) -> JobRecord:
        try:
            return self._parse_record(row)
        except (ValueError, TypeError, KeyError, IndexError, RecursionError) as exc:
            key = str(row["key"])[:12] if "key" in row.keys() else "?"  # noqa: SIM118 (Row)
            raise JobError(
                f"{self.path}: request {key} has a malformed stored record ({_one_line(exc)})"
            ) from None

    @staticmethod
    def _parse_record(row: sqlite3.Row) -> JobRecord:
        return JobRecord(
            key=row["key"],
            status=row["status"],
            kind=row["kind"],
            profile=row["profile"],
            profile_digest=row["profile_digest"],
            executor=row["executor"],
            fingerprint=json.loads(row["fingerprint"]),
            shots=row["shots"],
            precision=row["precision"],
            job_id=row["job_id"],
            artifact=row["artifact"],
            qiskit_version=row["qiskit_version"],
            spec=json.loads(row["spec"]),
            attempts=row["attempts"],
            result=json.loads(row["result"]) if row["result"] is not None else None,
            error=row["error"],
            failed_in=row["failed_in"],
            created=row["created"],
            updated=row["updated"],
            claimed_by=row["claimed_by"],
            lease_until=row["lease_until"],
        )

    def get(self, key: str) -> JobRecord | None:
        """The record of ``key``, or None."""
        row = self._execute("SELECT * FROM requests WHERE key = ?", (key,)).fetchone()
        return self._record(row) if row is not None else None

    def find(self, key_or_job_id: str) -> JobRecord:
        """The record with this key, job id, or unique key prefix (at least 6 characters).

        Raises:
            JobError: none matches, or a prefix matches several.
        """
        record = self.lookup(key_or_job_id)
        if record is None:
            raise JobError(f"{key_or_job_id.strip()}: no such request key or job id in {self.path}")
        return record

    def lookup(self, key_or_job_id: str) -> JobRecord | None:
        """Like :meth:`find`, but None when nothing matches.

        Raises:
            JobError: a prefix matches several requests.
        """
        ident = key_or_job_id.strip()
        rows = self._execute(
            "SELECT * FROM requests WHERE key = ? OR job_id = ? ORDER BY updated DESC",
            (ident, ident),
        ).fetchall()
        if not rows and len(ident) >= 6 and all(c in "0123456789abcdef" for c in ident):
            rows = self._execute(
                "SELECT * FROM requests WHERE key LIKE ? ORDER BY updated DESC", (ident + "%",)
            ).fetchall()
            if len(rows) > 1:
                raise JobError(f"{ident}: matches {len(rows)} requests; give more of the key")
        if not rows:
            return None
        return self._record(rows[0])

    def records(self, limit: int | None = None) -> list[JobRecord]:
        """All records, most recently updated first."""
        sql = "SELECT * FROM requests ORDER BY updated DESC, created DESC"
        rows = self._execute(sql + (f" LIMIT {int(limit)}" if limit else "")).fetchall()
        return [self._record(row) for row in rows]

    def begin(
        self,
        key: str,
        *,
        kind: RequestKind,
        profile: DeviceProfile | str,
        executor: str,
        fingerprint: Mapping[str, Any],
        shots: int | None,
        precision: float | None,
        artifact: str | None = None,
        spec: Mapping[str, Any] | None = None,
        claimed_by: str | None = None,
    ) -> None:
        """Records ``key`` as PENDING (clearing any job id, result and error).

        ``profile`` is the device profile (its name and digest are kept) or a bare name.
        ``claimed_by`` (a :func:`claimant_id`) claims the request for that process, with a
        lease of :data:`LEASE_SECONDS`; None leaves it unclaimed.
        """
        from hardware_profiles.profile import DeviceProfile

        now = _now()
        lease_until = time.time() + LEASE_SECONDS if claimed_by is not None else None
        name, digest = (
            (profile.name, profile.digest())
            if isinstance(profile, DeviceProfile)
            else (profile, None)
        )
        self._execute(
            """
            INSERT INTO requests (key, status, kind, profile, profile_digest, executor,
                fingerprint, shots, precision, job_id, artifact, qiskit_version, spec,
                attempts, result, error, created, updated, claimed_by, lease_until)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, 1, NULL, NULL, ?, ?, ?, ?)
            ON CONFLICT (key) DO UPDATE SET status = excluded.status, job_id = NULL,
                result = NULL, error = NULL, failed_in = NULL, attempts = attempts + 1,
                artifact = excluded.artifact, spec = excluded.spec,
                qiskit_version = excluded.qiskit_version, updated = excluded.updated,
                claimed_by = excluded.claimed_by, lease_until = excluded.lease_until
            """,
            (
                key,
                PENDING,
                kind,
                redact_secrets(name),
                digest,
                redact_secrets(executor),
                redact_secrets(_stored_json(dict(fingerprint))),
                shots,
                precision,
                redact_secrets(artifact) if artifact is not None else None,
                _qiskit_version(),
                redact_secrets(_stored_json(dict(spec or {}))),
                now,
                now,
                claimed_by,
                lease_until,
            ),
        )

    def claim(self, key: str, claimed_by: str) -> None:
        """Claims an existing record for ``claimed_by`` (to resume it), with a fresh lease."""
        self._update(key, claimed_by=claimed_by, lease_until=time.time() + LEASE_SECONDS)

    def release(self, key: str, claimed_by: str) -> None:
        """Drops the claim on ``key`` if ``claimed_by`` still holds it."""
        self._execute(
            "UPDATE requests SET claimed_by = NULL, lease_until = NULL "
            "WHERE key = ? AND claimed_by = ?",
            (key, claimed_by),
        )

    def _update(self, key: str, **fields: Any) -> None:
        fields["updated"] = _now()
        assignments = ", ".join(f"{name} = ?" for name in fields)
        self._execute(f"UPDATE requests SET {assignments} WHERE key = ?", (*fields.values(), key))

    def mark_submitted(self, key: str, job_id: str | None) -> None:
        """Records that ``submit`` returned, with the remote job id if there is one."""
        self._update(key, status=SUBMITTED, job_id=job_id)

    def mark_done(self, key: str, result: Mapping[str, Any]) -> None:
        """Stores the result (JSON data, see :func:`result_to_json`)."""
        self._update(key, status=DONE, result=redact_secrets(_stored_json(dict(result))))

    def mark_error(self, key: str, message: str, failed_in: str = "result") -> None:
        """Records a failure as one line, and whether ``submit`` or the job failed."""
        message = redact_secrets(" ".join(message.split()))
        self._update(key, status=ERROR, error=message, failed_in=failed_in)


def _qiskit_version() -> str:
    import qiskit

    return str(qiskit.__version__)


def _plain(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def result_to_json(result: SampleResult | EstimateResult) -> dict[str, Any]:
    """The result's ``to_dict()``, its metadata made JSON-safe (anything exotic as text)."""
    from runtime.execution.executor import EstimateResult, SampleResult

    if not isinstance(result, (SampleResult, EstimateResult)):
        raise JobError(
            f"executor returned {type(result).__name__}, not a SampleResult/EstimateResult"
        )
    document = result.to_dict()
    document["metadata"] = json.loads(json.dumps(document["metadata"], default=_plain))
    return document


def result_from_json(doc: Mapping[str, Any]) -> SampleResult | EstimateResult:
    """The result stored by :func:`result_to_json`.

    Raises:
        JobError: the stored document is not a result (a damaged or hand-edited store).
    """
    from runtime.execution.executor import EstimateResult, SampleResult

    try:
        if not isinstance(doc, Mapping):
            raise TypeError(f"a {type(doc).__name__}, not an object")
        if doc["kind"] == "sample":
            return SampleResult.from_dict(doc)
        return EstimateResult.from_dict(doc)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as exc:
        raise JobError(f"the stored result is malformed ({_one_line(exc)})") from None


def _remote_failed(handle: JobHandle) -> bool:
    try:
        return str(handle.status()) in ("ERROR", "CANCELLED")
    except Exception:  # cannot even ask: assume it may still run
        return False


def _wait(
    store: JobStore,
    key: str,
    handle: JobHandle,
    progress: Callable[[str], None] | None,
    poll_interval: float,
) -> SampleResult | EstimateResult:
    if progress is not None:
        start, last, last_told = time.monotonic(), "", 0.0
        while True:
            state = str(handle.status())
            elapsed = time.monotonic() - start
            quiet = not last and state in _TERMINAL_REMOTE  # done at once: nothing to tell
            if not quiet and (state != last or elapsed - last_told >= 30.0):
                progress(f"request {key[:12]}: {state} ({elapsed:.0f} s)")
                last, last_told = state, elapsed
            if state in _TERMINAL_REMOTE:
                break
            time.sleep(poll_interval)
    try:
        result = handle.result()
        document = result_to_json(result)
    except Exception as exc:
        if handle.job_id is None or _remote_failed(handle):
            store.mark_error(key, _one_line(exc))
        # else: waiting failed but the remote job lives on; stay SUBMITTED, resume later
        raise
    store.mark_done(key, document)
    return result_from_json(document)


def _next_step(record: JobRecord | None, force: bool, me: str) -> str:
    """What to do with a request's record: done, failed, wait, resume or submit."""
    if record is None:
        return "submit"
    if not force and record.status == DONE and record.result is not None:
        return "done"
    if not force and record.status == ERROR and record.failed_in != "submit":
        return "failed"
    if (
        record.claimed_by is not None
        and record.claimed_by != me
        and claimant_alive(record.claimed_by, record.lease_until)
    ):
        return "wait"
    if not force and record.status == SUBMITTED and record.job_id:
        return "resume"
    # PENDING, SUBMITTED locally without a job id, refused by submit (no job ran), or
    # forced: nothing to resume, submit again.
    return "submit"


def run_request(
    store: JobStore,
    executor: Executor,
    kind: RequestKind,
    pubs: Sequence[SamplerPub] | Sequence[EstimatorPub],
    *,
    shots: int | None = None,
    precision: float | None = None,
    profile: DeviceProfile | str,
    options: Mapping[str, Any] | None = None,
    artifact: str | None = None,
    spec: Mapping[str, Any] | None = None,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
    poll_interval: float = 1.0,
) -> tuple[str, SampleResult | EstimateResult]:
    """Runs a request at most once: from the store if done, else resumed or submitted.

    Concurrent calls with the same request, in any number of processes, execute it once:
    the first claims it (see the module docstring) and the others wait for its result.

    Args:
        store: the job store.
        executor: any :class:`~runtime.execution.executor.Executor`.
        kind: ``sample`` or ``estimate``.
        pubs: the PUBs.
        shots: shots per parameter set. Defaults to the executor's default.
        precision: target precision. Defaults to the executor's default.
        profile: the device profile: its name and content digest are part of the key, so
            a profile edited in place runs again. A bare name is still accepted (then
            the key holds the name only).
        options: anything else that changes results (part of the key). Defaults to none.
        artifact: the artifact path, kept with the record. Defaults to None.
        spec: how to rebuild the request later (e.g. CLI flags), kept with the record.
        force: execute again even if the store has a result or an error (after waiting
            for a process running it now). Defaults to False.
        progress: called with one-line status messages while waiting. Defaults to silence.
        poll_interval: seconds between status polls when ``progress`` is given.

    Returns:
        The request key and the result (identical whether fresh or from the store).

    Raises:
        JobError: the request failed now or earlier (not retried unless ``force``).
    """
    if kind not in ("sample", "estimate"):
        raise JobError(f"unknown request kind {kind!r} (sample or estimate)")
    from runtime.execution.requests import request_key

    fingerprint = {"name": executor.name, **executor.fingerprint()}
    key = request_key(
        kind,
        pubs,
        shots=shots,
        precision=precision,
        profile=profile,
        executor=fingerprint,
        options=options,
    )
    me = claimant_id()
    pause, told = 0.02, False
    while True:
        with store.transaction():  # read and claim atomically: one claimant per request
            record = store.get(key)
            step = _next_step(record, force, me)
            if step == "submit":
                store.begin(
                    key,
                    kind=kind,
                    profile=profile,
                    executor=executor.name,
                    fingerprint=fingerprint,
                    shots=shots,
                    precision=precision,
                    artifact=artifact,
                    spec=spec,
                    claimed_by=me,
                )
            elif step == "resume":
                store.claim(key, me)
        if step != "wait":
            break
        if progress is not None and not told and record is not None:
            progress(f"request {key[:12]}: running in process {record.claimed_by}; waiting")
            told = True
        time.sleep(pause)
        pause = min(2 * pause, _WAIT_POLL_MAX)
    if step == "done":
        assert record is not None and record.result is not None
        return key, result_from_json(record.result)
    if step == "failed":
        assert record is not None
        raise JobError(f"request {key[:12]} failed earlier: {record.error} (force to run it again)")
    try:
        with LeaseKeeper(store.path, key, me):
            if step == "resume":
                assert record is not None
                if progress is not None:
                    progress(f"request {key[:12]}: resuming job {record.job_id}")
                # A failed retrieve (network, service down) leaves the record SUBMITTED: the
                # remote job may well be fine, and the next run tries again.
                handle = executor.retrieve(str(record.job_id))
                return key, _wait(store, key, handle, progress, poll_interval)
            try:
                handle = executor.submit(kind, pubs, shots=shots, precision=precision)
            except Exception as exc:
                store.mark_error(key, _one_line(exc), failed_in="submit")
                raise
            store.mark_submitted(key, handle.job_id)
            return key, _wait(store, key, handle, progress, poll_interval)
    finally:
        store.release(key, me)
