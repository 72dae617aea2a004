"""Read the next item of a slow iterator (a Graph page) in a background thread while this one works.

    with Prefetch(pages, depth=1) as ahead:
        for page in ahead:
            ...

At most `depth` items wait in the queue, plus the one the thread is reading: memory stays bounded.
Items
arrive in order. An exception raised by the iterator is raised again here, from the loop, with its
own type
(the engine's retry rules see what they would have seen). Leaving the `with` block, normally or by
an
exception, stops the thread and waits for it: it never outlives the block. The thread touches no
database
(Django's connections are per thread); it only advances the iterator.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator

_END = object()
_POLL_SECONDS = 0.1


class _Failure:
    def __init__(self, error: BaseException):
        self.error = error


class Prefetch:
    def __init__(self, source: Iterable, depth: int = 1, name: str = "prefetch"):
        self._source = source
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._finished = False

    def __enter__(self) -> Prefetch:
        self._thread.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._stop.set()
        while self._thread.is_alive():
            self._drain()  # unblock a put() in progress
            self._thread.join(_POLL_SECONDS)
        self._drain()

    def __iter__(self) -> Iterator:
        while not self._finished:
            item = self._queue.get()
            if item is _END:
                self._finished = True
            elif isinstance(item, _Failure):
                self._finished = True
                raise item.error
            else:
                yield item

    def _drain(self) -> None:
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass

    def _put(self, item) -> bool:
        """Queue an item, waiting for room; False once the consumer has left."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        iterator = iter(self._source)
        try:
            for item in iterator:
                if not self._put(item):
                    return
            self._put(_END)
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, which raises it
            self._put(_Failure(error))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
