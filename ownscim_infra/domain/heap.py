"""Building many long-lived objects at once without paying for the cyclic garbage collector.

CPython starts a collection of the youngest objects each time container allocations exceed
deallocations by 700 (``gc.get_threshold()``), and a full one, which visits every object of
the process, once ten collections of the middle generation have run and the objects that
survived them have grown by a quarter since the last full one (CPython 3.11,
``Modules/gcmodule.c``, ``gc_collect_generations``: ``long_lived_pending < long_lived_total /
4``; the file is ``Python/gc.c`` from 3.12). Reading a
directory of 50,000 users builds about 250,000 containers that all survive (the JSON objects,
then the pydantic models, their ``groups`` lists and ``__dict__``), and indexing it or
writing a report line for each user builds as many again. Measured in a review at 50,000
directory users (``benchmarks/review_bench.py``): seven full collections of 0.1 to 0.2 s
each, 1.1 s in all, about half of what the review spent beyond the same review at 5,000
users; five of them found no garbage, the other two 6,000 objects.

:func:`bulk` pauses the collector while such a bulk of objects that hold no cycles is built,
as Mercurial's ``util.nogc`` does for its large containers. What the bulk allocated still
goes through the generations afterwards (the next collection of the youngest, later the
middle one's, then full collections), but the collections that would have run over the whole
process while it was being built do not.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
#: How many :func:`bulk` blocks are running (in any thread), and whether the collector was
#: enabled when the first of them started.
_depth = 0
_was_enabled = False


@contextmanager
def bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block: for code that builds many objects
    and no reference cycles (parsing and validating a file's records, indexing them, a line
    for each), in one thread, in a bounded time. Reference counting still frees what the
    block drops at once; a cycle made inside waits for a collection after the block.

    Blocks nest and may run in several threads: the collector is enabled again when the
    last running block ends (blocks that keep overlapping in several threads would keep it
    paused, so none of the callers runs in a worker thread), and only if it was enabled when
    the first one started. The collector's state is the process's: a ``gc.disable()`` while
    a block runs is undone when the last block ends. The block must not ``yield`` (a
    generator abandoned inside it would end it only when collected)."""
    global _depth, _was_enabled
    entered = False
    try:
        with _lock:
            if _depth == 0:
                _was_enabled = gc.isenabled()
                gc.disable()
            _depth += 1
            entered = True
        yield
    finally:
        if entered:
            with _lock:
                _depth -= 1
                if _depth == 0 and _was_enabled:
                    gc.enable()
