"""Results cached per database state: the same question, asked again before the data change,
is answered from memory.

A key is ``(data_version, route, arguments)``: the store raises ``data_version`` on every import
and decision, so a new import or decision makes every older entry unreachable (and they are
dropped as soon as a newer version is seen). Arguments include the rulebook and the what-if
settings. Each server process keeps its own cache, bounded in entries (least recently used
first out); the start-up warms the common results in the background.

Server processes (``--workers``) share their results through a folder (``shared``): a result
computed by one process is written there (pickled, atomically) under its key and the database's
*state* (``data_version`` and the last import, so a re-created database never matches an older
one), and another process loads it instead of computing it again; a lock file per key makes
the others wait for the one computing. The folder is the server's own (mode 0700).

A computation that takes longer than ``limit`` seconds is not waited for: the request gets
:class:`Busy` (the API answers 503 with ``Retry-After``) while the computation carries on and
fills the cache, so asking again later is answered at once. Two requests for the same key
share one computation.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import pickle
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Busy", "Entry", "ResultCache"]


class Busy(Exception):
    """The answer is still being computed; ask again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"still computing; try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass
class Entry:
    """A cached value, and its renderings (JSON or CSV bytes per viewer scope)."""

    value: Any
    rendered: dict[Hashable, bytes] = field(default_factory=dict)


class ResultCache:
    """A bounded LRU of computed values keyed by database state and arguments."""

    def __init__(self, *, entries: int = 128, limit: float = 5.0, threads: int = 2, shared: Path | None = None) -> None:
        self.entries = entries
        self.limit = limit
        self.shared = shared
        self._states: dict[int, str] = {}
        self._data: OrderedDict[Hashable, Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._running: dict[Hashable, Future[Any]] = {}
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="oversight-compute")
        self._version: int | None = None

    # ------------------------------------------------------------------ bookkeeping
    def see_version(self, version: int, state: Callable[[], str] | None = None) -> None:
        """Forget every entry of an older database state; ``state()`` names the database state
        of ``version`` for the shared folder (asked once per version)."""
        with self._lock:
            if self._version is not None and version != self._version:
                self._data.clear()
            self._version = version
            known = version in self._states
        if not known and state is not None and self.shared is not None:
            name = hashlib.sha256(state().encode()).hexdigest()[:24]
            with self._lock:
                self._states = {version: name}
            self._prune(name)

    # ------------------------------------------------------------ shared folder
    def _prune(self, current: str) -> None:
        """Remove the shared results of database states older than ten minutes."""
        assert self.shared is not None
        with contextlib.suppress(OSError):
            for folder in self.shared.iterdir():
                if folder.name != current and folder.is_dir() and folder.stat().st_mtime < time.time() - 600:
                    shutil.rmtree(folder, ignore_errors=True)

    def _shared_path(self, key: Hashable) -> Path | None:
        if self.shared is None or not isinstance(key, tuple) or not key or not isinstance(key[0], int):
            return None
        state = self._states.get(key[0])
        if state is None:
            return None
        digest = hashlib.sha256(repr(key[1:]).encode()).hexdigest()[:32]
        return self.shared / state / f"{digest}.pickle"

    def _load_or_compute(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        path = self._shared_path(key)
        if path is None:
            return compute()
        value = _load(path)
        if value is not _MISSING:
            return value
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            lock = open(path.with_suffix(".lock"), "a+b")  # noqa: SIM115 - closed below
        except OSError:
            return compute()
        try:
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)  # another process computing it: wait, then load
            value = _load(path)
            if value is not _MISSING:
                return value
            value = compute()
            tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
            try:
                with open(tmp, "wb") as out:
                    pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, path)
            except Exception:  # noqa: BLE001 - an unpicklable value or a full disk: not shared
                with contextlib.suppress(OSError):
                    tmp.unlink()
            return value
        finally:
            lock.close()

    def get(self, key: Hashable) -> Entry | None:
        with self._lock:
            entry = self._data.get(key)
            if entry is not None:
                self._data.move_to_end(key)
            return entry

    def _put(self, key: Hashable, value: Any) -> Entry:
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                entry = Entry(value)
                self._data[key] = entry
                while len(self._data) > self.entries:
                    self._data.popitem(last=False)
            return entry

    def __len__(self) -> int:
        return len(self._data)

    # ------------------------------------------------------------------ computing
    def submit(self, key: Hashable, compute: Callable[[], Any]) -> Future[Any]:
        """Start (or join) the computation of ``key``; its value lands in the cache."""
        with self._lock:
            running = self._running.get(key)
            if running is not None:
                return running
            future: Future[Any] = self._pool.submit(self._load_or_compute, key, compute)
            self._running[key] = future

        def done(f: Future[Any]) -> None:
            with self._lock:
                self._running.pop(key, None)
            if not f.cancelled() and f.exception() is None:
                self._put(key, f.result())

        future.add_done_callback(done)
        return future

    async def fetch(self, key: Hashable, compute: Callable[[], Any]) -> Entry:
        """The cached entry for ``key``, computing it in a worker thread if needed.

        Raises
        ------
        Busy
            The computation takes longer than ``limit`` seconds (it goes on in the background).
        Exception
            Whatever the computation raised (errors are not cached).
        """
        entry = self.get(key)
        if entry is not None:
            return entry
        future = self.submit(key, compute)
        try:
            value = await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), timeout=self.limit)
        except TimeoutError:
            raise Busy(max(1, round(self.limit))) from None
        return self.get(key) or self._put(key, value)

    def compute_now(self, key: Hashable, compute: Callable[[], Any]) -> Entry:
        """The entry for ``key``, computed in the calling thread (the warm-up, or a use case
        that builds on others) unless cached or already running elsewhere."""
        entry = self.get(key)
        if entry is not None:
            return entry
        with self._lock:
            running = self._running.get(key)
        value = running.result() if running is not None else self._load_or_compute(key, compute)
        return self.get(key) or self._put(key, value)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


_MISSING = object()


def _load(path: Path) -> Any:
    try:
        with open(path, "rb") as source:
            return pickle.load(source)  # noqa: S301 - the server's own folder (0700)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
        return _MISSING
