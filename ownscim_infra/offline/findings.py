"""A finding: something the plan, a run or the result does wrong, whatever the users' state.

One type for every report of the offline layer (``plan``'s warnings, ``simulate``'s and the
review's findings), so that a finding reads the same wherever it shows.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """``code`` (stable, for machines), ``message`` (the cause and the fix, one line),
    ``logins`` (the people it concerns, if any), ``steps`` (a manual procedure, one line each)."""

    code: str
    message: str
    logins: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
