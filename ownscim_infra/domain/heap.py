"""Building many long-lived objects at once without paying for the cyclic garbage collector.

CPython starts a collection every 700 container allocations (``gc.get_threshold()``), and a
full one, which visits every object of the process, each time the objects that survived the
younger generations grow by a quarter (CPython's ``Modules/gcmodule.c``,
``gc_collect_generations``: ``long_lived_pending < long_lived_total / 4``). Reading a
directory of 50,000 users builds about 250,000 containers that all survive (the JSON objects,
then the pydantic models, their ``groups`` lists and ``__dict__``), and indexing it or
writing a report line for each user builds as many again. Measured in a review at 50,000
directory users (``benchmarks/review_bench.py``): seven full collections of 0.1 to 0.2 s
each, 1.1 s in all, about half of what the review spent beyond the same review at 5,000
users; five of them found no garbage, the other two 6,000 objects.

:func:`bulk` pauses the collector while such a bulk of objects that hold no cycles is built,
as Mercurial's ``util.nogc`` does for its large containers; what the bulk allocated is
looked at once, by the next collection after it.
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
    for each). Reference counting still frees what the block drops at once; a cycle made
    inside waits for the next collection after the block.

    Blocks nest and may run in several threads: the collector is enabled again when the
    last one ends, and only if it was enabled when the first one started (a caller that
    disabled it keeps it disabled)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
