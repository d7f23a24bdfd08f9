"""The product under test, run the way a user runs it: ``ownscim review BASE NEW --format json``,
in process. :func:`from_review_json` is the one place that knows the review's JSON shape
(ownscim_infra/offline/review.py ``Review.to_json``); update it when that shape changes."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ownscim_infra.cli import main
from tests.oracle.reference_model import ATTENTION, BLOCKED, SAFE, Own


@dataclass
class Reviewed:
    """What ``review`` says, in the reference model's terms."""

    verdict: str  # SAFE | ATTENTION | BLOCKED
    people: dict[str, tuple[Own, Own]] = field(default_factory=dict)  # login -> (Own before, Own after)
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # warning codes
    exit_code: int = 0


def _own(own: dict[str, Any] | None) -> Own:
    """Own as the model sees it: an active account's regions, else None (absent or inactive)."""
    return frozenset(own["regions"]) if own and own["active"] else None


def from_review_json(data: dict[str, Any], exit_code: int) -> Reviewed:
    """The adapter from ``review --format json`` to the model's terms."""
    level = {"safe": SAFE, "needsAttention": ATTENTION, "blocked": BLOCKED}[data["verdict"]["level"]]
    return Reviewed(
        level,
        {p["login"].lower(): (_own(p["before"]), _own(p["after"])) for p in data["people"]},
        list(data["verdict"]["reasons"]),
        [w["code"] for w in data["warnings"]],
        exit_code,
    )


def run_review(
    folder: Path, base: str, new: str, directory: str, base_directory: str | None = None, show_all: bool = True
) -> Reviewed:
    """Write the files into ``folder`` and run ``review`` on them, in process."""
    paths = {}
    for name, text in (("base", base), ("new", new), ("directory", directory), ("base-directory", base_directory)):
        if text is not None:
            paths[name] = folder / f"{name}.yaml"
            paths[name].write_text(text)
    args = ["review", str(paths["base"]), str(paths["new"]), "--directory", str(paths["directory"])]
    if base_directory is not None:
        args += ["--base-directory", str(paths["base-directory"])]
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main([*args, "--format", "json", *(["--all"] if show_all else [])])
    if code == 2:
        raise ValueError(f"review refused the input (exit 2): {args}")
    return from_review_json(json.loads(out.getvalue()), code)
