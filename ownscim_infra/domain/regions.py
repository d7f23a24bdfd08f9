"""The ``regions`` value codec: Own's comma-separated list of region codes.

Own's setup page: "under the regions attribute, enter a comma-separated list of the
required Own regions. For example: us1,emea2". The program writes that form into every
assignment's app profile; the config, the plan, the receiver and the live checks read it
back. This module is the one place that knows the separator.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

#: What separates two region codes in a ``regions`` value.
SEPARATOR = ","


def join_regions(regions: Iterable[str]) -> str:
    """``["us1", "emea2"]`` -> ``"us1,emea2"``: the attribute value Own expects."""
    return SEPARATOR.join(regions)


def canonical_regions(regions: Iterable[str]) -> str:
    """``["us1", "emea2"]`` and ``["emea2", "us1"]`` -> ``"emea2,us1"``: the same text for every
    order of the same regions, the one the program declares for a value it has not declared
    before (:class:`RecordedRegions` keeps a recorded text for the same set).

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


def same_regions(a: str | None, b: str | None) -> bool:
    """Whether two ``regions`` values name the same set of regions (``"us1,emea2"`` and
    ``"emea2, us1"``: yes); ``None`` (no value: all regions) is the same only as ``None``.
    Own reads the value as a set (see :func:`canonical_regions`)."""
    if a is None or b is None:
        return a is b
    return {r for r in split_regions(a) if r} == {r for r in split_regions(b) if r}


@dataclass(frozen=True)
class RecordedRegions:
    """The ``regions`` texts a stack's last ``pulumi up`` declared, from its outputs, and the
    text to declare now for each assignment (:meth:`text`).

    The text is also the assignment's ``replacement_trigger``, which the Pulumi engine compares
    with the one recorded in the stack's state, exactly: a new text replaces the assignment
    (every member deactivated in Own, then provisioned again). So an assignment keeps the text
    the stack recorded while it names the same set of regions, in any order.

    - ``by_assignment``: assignment logical name -> the text the last run declared (the
      ``regionsByAssignment`` output);
    - ``by_group``: group name -> text, the ``regionsByGroup`` output of a stack ``from_before``
      (its last run had no ``regionsByAssignment``: the program then declared each value in the
      config's written order, which that output holds for the groups);
    - ``from_before``: the stack ran a version of the program without ``regionsByAssignment``.
    """

    by_assignment: Mapping[str, str] = field(default_factory=dict)
    by_group: Mapping[str, str] = field(default_factory=dict)
    from_before: bool = False

    def text(self, name: str, regions: Sequence[str], group: str | None = None) -> str:
        """The ``regions`` text to declare for the assignment ``name`` (of ``group``, for a group
        assignment) whose config lists ``regions``: the recorded text when it names the same
        set (verbatim: nothing changes in Okta or Own); else, on a stack ``from_before``, the
        config's written order (what the program of before declared: :func:`join_regions`);
        else :func:`canonical_regions`."""
        fresh = join_regions(dict.fromkeys(regions))
        candidates = [self.by_assignment.get(name)]
        if self.from_before and group is not None:
            candidates.append(self.by_group.get(group))
        for recorded in candidates:
            if isinstance(recorded, str) and same_regions(recorded, fresh):
                return recorded
        return fresh if self.from_before else canonical_regions(regions)
