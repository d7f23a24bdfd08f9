"""The ``regions`` value codec: Own's comma-separated list of region codes.

Own's setup page: "under the regions attribute, enter a comma-separated list of the
required Own regions. For example: us1,emea2". The program writes that form into every
assignment's app profile; the config, the plan, the receiver and the live checks read it
back. This module is the one place that knows the separator.
"""

from __future__ import annotations

from collections.abc import Iterable

#: What separates two region codes in a ``regions`` value.
SEPARATOR = ","


def join_regions(regions: Iterable[str]) -> str:
    """``["us1", "emea2"]`` -> ``"us1,emea2"``: the attribute value Own expects."""
    return SEPARATOR.join(regions)


def canonical_regions(regions: Iterable[str]) -> str:
    """``["us1", "emea2"]`` and ``["emea2", "us1"]`` -> ``"emea2,us1"``: the value the program
    declares, the same text for every order of the same regions.

    Own reads the value as a set of regions (its setup page: "a comma-separated list of the
    required Own regions"; a user is placed in each region it names, the order means
    nothing), and the program's ``replacement_trigger`` is this text, which the Pulumi engine
    compares exactly: a cosmetic reorder in the config must not be a new text, or every
    member of the assignment would be deactivated and provisioned again. Sorted, so that the
    text depends on the set only (not on the account's ``regions`` list either)."""
    return join_regions(sorted(dict.fromkeys(regions)))


def split_regions(value: str) -> list[str]:
    """``"us1, emea2"`` -> ``["us1", "emea2"]``: each part stripped of spaces, in order.

    Empty parts are kept (``"us1,,emea2"`` -> ``["us1", "", "emea2"]``) so that a caller that
    validates can name them; callers that resolve values drop them. ``""`` -> ``[""]``.
    """
    return [part.strip() for part in value.split(SEPARATOR)]
