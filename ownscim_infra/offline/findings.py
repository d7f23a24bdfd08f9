"""A finding: something the plan, a run or the result does wrong, whatever the users' state.

One type for every report of the offline layer (``plan``'s warnings, ``simulate``'s and the
review's findings), so that a finding reads the same wherever it shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from ownscim_infra.config import OwnScimConfig
from ownscim_infra.config.directory import Directory, unknown_groups


@dataclass(frozen=True)
class Finding:
    """``code`` (stable, for machines), ``message`` (the cause and the fix, one line),
    ``logins`` (the people it concerns, if any), ``steps`` (a manual procedure, one line each)."""

    code: str
    message: str
    logins: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()


def typo_findings(config: OwnScimConfig, directory: Directory) -> list[Finding]:
    """``directory-group-typo``: a directory user in a group the config does not name but
    almost does (a typo, or a look-alike): that user is silently not assigned through it.
    Groups the config does not resemble (``Everyone``) are no finding."""
    return [
        Finding("directory-group-typo", u.message, (u.login,))
        for u in unknown_groups(config, directory)
        if u.suggestion is not None
    ]
