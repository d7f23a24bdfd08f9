"""The SQLite engine of the storage: opening and checking the file, the read connections and
the group-committing writer.

One file in WAL mode; what it holds is :mod:`.storage`'s business.

- **Reads** run on a connection of the calling thread, in a read transaction (WAL snapshot):
  they take no lock that a writer or another reader waits for.
- **Writes** are jobs run by one writer thread on the one writing connection: it takes every
  job queued at that moment into a single transaction, each job in its own savepoint (a
  failed job, e.g. a duplicate ``userName``, is undone alone), then commits once: one disk
  flush for many concurrent writes (group commit). A job's caller is answered only once its
  transaction is committed, so an acknowledged write is durable to the level of the
  ``durability`` setting. While more writing operations are in progress than jobs are
  queued, the writer waits up to :data:`COMMIT_DELAY` for them (fewer disk flushes under
  load; none for a lone write).
- A write lock held by another process is waited for ``busy_timeout`` seconds at most; then
  the write fails with :class:`StorageUnavailableException` (503, retry later).
- **Closing** (a clean stop: Ctrl-C, SIGTERM) closes the readers, runs the writes already
  submitted, checkpoints the WAL into the database (``PRAGMA wal_checkpoint(TRUNCATE)``) and
  closes the writing connection last: SQLite then removes the ``-wal`` and ``-shm`` files,
  and the database is one self-contained file.
"""

from __future__ import annotations

import contextlib
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

from scim2_models import SCIMException

from .settings import Durability, StartupError

T = TypeVar("T")

SCHEMA_VERSION = 1

_DDL = (
    """CREATE TABLE IF NOT EXISTS resources (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT NOT NULL UNIQUE,
    resource_type  TEXT NOT NULL,
    user_name      TEXT,
    user_name_key  TEXT,
    active         INTEGER,
    regions        TEXT,
    role           TEXT,
    business_unit  TEXT,
    version        INTEGER NOT NULL,
    body           TEXT NOT NULL
)""",
    """CREATE UNIQUE INDEX IF NOT EXISTS resources_user_name_key ON resources(user_name_key)
    WHERE user_name_key IS NOT NULL""",
    "CREATE INDEX IF NOT EXISTS resources_type ON resources(resource_type, seq)",
)


#: Most write jobs committed in one transaction.
MAX_BATCH = 64

#: Longest the writer waits for more jobs before committing, in seconds, and only while more
#: writing operations are in progress than it holds jobs (PostgreSQL's ``commit_delay`` with
#: ``commit_siblings``): each commit flushes the disk, so under load a few hundred microseconds
#: of wait save a flush per write that joins the batch.
COMMIT_DELAY = 0.002


class StorageUnavailableException(SCIMException):
    """The database cannot serve the request now: another process holds its write lock longer
    than ``busy_timeout``, or the disk refused a write.

    503 without ``scimType`` (RFC 7644 §3.12 lists 503 "Service Unavailable"); the response
    carries ``Retry-After``. Nothing of the request was written.
    """

    status = 503
    _default_detail = "The database is busy; retry later"


def unavailable(exc: sqlite3.Error) -> StorageUnavailableException:
    """The 503 of a SQLite error that is not the client's fault (lock, full or failing disk)."""
    name = getattr(exc, "sqlite_errorname", None) or type(exc).__name__
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StorageUnavailableException(detail="The database is locked by another process; retry later")
    return StorageUnavailableException(detail=f"The database cannot serve the request now ({name}); retry later")


# -- opening and checking the file ---------------------------------------------------------------------


def _startup_error(path: str, exc: sqlite3.Error) -> StartupError:
    """The one-line reason a database cannot be used, from the SQLite error."""
    name = getattr(exc, "sqlite_errorname", None) or ""
    if name.startswith("SQLITE_NOTADB"):
        reason = "is not a SQLite database"
    elif name.startswith("SQLITE_CORRUPT"):
        reason = "is corrupt (database disk image is malformed); restore it from a backup or start a new file"
    elif name.startswith("SQLITE_READONLY") or (name.startswith("SQLITE_CANTOPEN") and Path(path).exists()):
        reason = "cannot be written (the file or its folder is read-only)"
    elif name.startswith("SQLITE_CANTOPEN"):
        reason = "cannot be created (is its folder writable?)"
    elif name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        reason = "is locked by another process"
    else:
        reason = f"cannot be used: {exc}"
    return StartupError(f"the database {path} {reason}")


def open_database(path: str, durability: Durability = "full", busy_timeout: float = 1.0) -> sqlite3.Connection:
    """Open the database file for writing, after checking it; create it (and its tables) if missing.

    Checks, in order: the folder exists; the file is a SQLite database (``PRAGMA quick_check``
    is ``ok``); it accepts write-ahead logging; its schema is not from a newer version; it can be
    written (the tables are created and ``user_version`` written in one transaction).

    :param durability: ``full`` or ``normal``, SQLite's ``synchronous`` (see
        :class:`~.settings.ReceiverSettings`).
    :raises StartupError: one line naming the file and what is wrong with it.
    """
    file = Path(path)
    if not file.parent.is_dir():
        raise StartupError(f"the database {path} cannot be created: the folder {file.parent} does not exist")
    if file.is_dir():
        raise StartupError(f"the database {path} is a folder, not a file")
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=busy_timeout)
    except sqlite3.Error as exc:
        raise _startup_error(path, exc) from None
    try:
        _check_and_prepare(conn, path, durability)
    except sqlite3.Error as exc:
        conn.close()
        raise _startup_error(path, exc) from None
    except StartupError:
        conn.close()
        raise
    return conn


def _check_and_prepare(conn: sqlite3.Connection, path: str, durability: Durability) -> None:
    problems = [row[0] for row in conn.execute("PRAGMA quick_check").fetchall()]
    if problems != ["ok"]:
        first = str(problems[0]).replace("\n", " ")[:200] if problems else "no answer"
        raise StartupError(
            f"the database {path} is corrupt (PRAGMA quick_check: {first}); restore it or start a new file"
        )
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise StartupError(f"the database {path} cannot use write-ahead logging (journal mode {mode})")
    conn.execute(f"PRAGMA synchronous = {'FULL' if durability == 'full' else 'NORMAL'}")
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version > SCHEMA_VERSION:
        raise StartupError(f"the database {path} was written by a newer receiver (schema {version})")
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in _DDL:
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")  # also proves the file can be written
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


# -- the writer --------------------------------------------------------------------------------------------


class _Stop:
    pass


_STOP = _Stop()


class _Job:
    """A write job, and where its outcome goes: ``done`` is released once it is known."""

    __slots__ = ("done", "error", "function", "result")

    def __init__(self, function: Callable[[sqlite3.Connection], Any]) -> None:
        self.function = function
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = threading.Lock()
        self.done.acquire()

    def finish(self, result: Any = None, error: BaseException | None = None) -> None:
        self.result, self.error = result, error
        self.done.release()


class GroupCommitWriter:
    """The writing connection and its thread: runs the write jobs any thread submits, committing
    all the jobs waiting at a time in one transaction (each job in its own savepoint).

    A job is a function of the connection; its result (or exception) is given to its caller
    once the transaction is committed. When the transaction cannot begin or commit (the lock is
    held by another process past the busy timeout, the disk is full...), every job of the batch
    fails with :class:`StorageUnavailableException` and nothing of it is written.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._queue: queue.SimpleQueue[_Job | _Stop] = queue.SimpleQueue()
        self._in_progress = 0  # writing operations begun and not answered (see :meth:`writing`)
        self._count_lock = threading.Lock()
        self._closed = False
        self._close_lock = threading.Lock()
        #: Transactions committed so far (each holds one or more jobs).
        self.commits = 0
        self._thread = threading.Thread(target=self._run, name="ownscim-receiver-writer", daemon=True)
        self._thread.start()

    def submit(self, function: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``function`` in a committed transaction and return its result, or raise its exception."""
        job = _Job(function)
        with self._close_lock:
            if self._closed:
                raise StorageUnavailableException(detail="The receiver is stopping; retry later")
            self._queue.put(job)
        job.done.acquire()
        if job.error is not None:
            raise job.error
        return cast(T, job.result)

    def pending(self) -> int:
        """How many jobs wait for the writer (approximately, as any queue size)."""
        return self._queue.qsize()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Mark a writing operation in progress (from its validation to its answer), so that the
        writer waits a little for its job rather than commit without it (:data:`COMMIT_DELAY`)."""
        with self._count_lock:
            self._in_progress += 1
        try:
            yield
        finally:
            with self._count_lock:
                self._in_progress -= 1

    def close(self) -> None:
        """Run the jobs already submitted, stop the thread, checkpoint the WAL into the database
        (``PRAGMA wal_checkpoint(TRUNCATE)``) and close the connection (idempotent). Closed
        last, the connection removes the ``-wal`` and ``-shm`` files."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        self._thread.join()
        with contextlib.suppress(sqlite3.Error):  # another process reading: the WAL stays, as SQLite keeps it
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._conn.close()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if isinstance(item, _Stop):
                return
            batch = [item]
            stop = False
            deadline = time.monotonic() + COMMIT_DELAY
            while len(batch) < MAX_BATCH:
                wait = deadline - time.monotonic() if self._in_progress > len(batch) else 0.0
                try:
                    more = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
                if isinstance(more, _Stop):
                    stop = True
                    break
                batch.append(more)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[_Job]) -> None:
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            for job in batch:
                job.finish(error=unavailable(exc))
            return
        outcomes: list[tuple[_Job, Any, BaseException | None]] = []
        try:
            for job in batch:
                conn.execute("SAVEPOINT job")
                try:
                    result = job.function(conn)
                except BaseException as exc:  # the job's own failure: undo it alone
                    conn.execute("ROLLBACK TO job")
                    conn.execute("RELEASE job")
                    outcomes.append((job, None, unavailable(exc) if isinstance(exc, sqlite3.Error) else exc))
                else:
                    conn.execute("RELEASE job")
                    outcomes.append((job, result, None))
            conn.execute("COMMIT")
            self.commits += 1
        except BaseException as exc:  # nothing of the batch is written; the thread goes on
            with contextlib.suppress(sqlite3.Error):
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            failure = unavailable(exc) if isinstance(exc, sqlite3.Error) else exc
            for job in batch:
                job.finish(error=failure)
            return
        for job, result, error in outcomes:
            job.finish(result, error)


class SqliteDatabase:
    """One SQLite file: the calling thread's read connections and the group-committing writer.

    :param path: the file; created with its tables if missing, checked otherwise (:func:`open_database`).
    :param durability: SQLite's ``synchronous`` for the writes (``full`` or ``normal``).
    :param busy_timeout: seconds a write waits for a lock held by another process, then 503.
    :raises StartupError: the file cannot be used (one line saying why).
    """

    def __init__(self, path: str, durability: Durability = "full", busy_timeout: float = 1.0) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self._writer = GroupCommitWriter(open_database(path, durability, busy_timeout))
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._closed = False

    def close(self) -> None:
        """Close the read connections, finish the writes in progress, checkpoint the WAL and
        close the writing connection (see :meth:`GroupCommitWriter.close`); idempotent."""
        with self._readers_lock:
            self._closed = True
            readers, self._readers = self._readers, []
        for conn in readers:
            conn.close()
        self._writer.close()

    def reader(self, *, wait: bool = True) -> sqlite3.Connection:
        """The calling thread's read-only connection (opened on first use).

        :param wait: ``False`` gives a connection that never waits for a lock (SQLite answers
            busy at once): for the event loop's thread.
        :raises StorageUnavailableException: the database is closing (503).
        """
        attribute = "conn" if wait else "conn_nowait"
        conn: sqlite3.Connection | None = getattr(self._local, attribute, None)
        if conn is None:
            with self._readers_lock:
                if self._closed:
                    raise StorageUnavailableException(detail="The receiver is stopping; retry later")
                conn = sqlite3.connect(
                    self.path, isolation_level=None, check_same_thread=False, timeout=self.busy_timeout if wait else 0
                )
                conn.execute("PRAGMA query_only = 1")
                self._readers.append(conn)
            setattr(self._local, attribute, conn)
        return conn

    @contextmanager
    def read_transaction(self) -> Iterator[sqlite3.Connection]:
        """A read transaction (one WAL snapshot) on the calling thread's connection; takes no write lock.

        :raises StorageUnavailableException: SQLite answered busy or failed (503).
        """
        conn = self.reader()
        try:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            raise unavailable(exc) from None

    def write(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run a write job in a committed transaction (group commit); see :class:`GroupCommitWriter`."""
        return self._writer.submit(job)

    def writing(self) -> contextlib.AbstractContextManager[None]:
        """Enclose an operation that will write, from before its validation: the writer then
        waits a little for its write to commit it with others."""
        return self._writer.writing()

    @property
    def commits(self) -> int:
        """Write transactions committed since the file was opened (a commit holds one or more writes)."""
        return self._writer.commits

    def pending_writes(self) -> int:
        """Writes waiting for the writer thread."""
        return self._writer.pending()
