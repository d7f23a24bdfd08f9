"""The classified causes of disagreement between ``review`` and the reference model: one predicate a
cause, named after the item of issue 21 it is. The differential test lets a disagreement pass only
when a predicate explains it (the verdict, and each person that differs); anything else fails.
When an item is fixed, delete its predicate: the property test then checks it too."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.oracle.compare import Disagreement, compare
from tests.oracle.pairs import Pair
from tests.oracle.product import Reviewed, run_review
from tests.oracle.reference_model import ATTENTION, BLOCKED, SAFE, Own, Verdict


@dataclass
class Seen:
    """One generated pair, what both sides said, and how they differ."""

    pair: Pair
    model: Verdict
    reviewed: Reviewed
    disagreement: Disagreement
    folder: Path


def item1_group_name_taken(seen: Seen) -> bool:
    """Item 1: Okta refuses a created or renamed group whose name is taken; review does not know."""
    failures = seen.model.reasons
    return (
        seen.model.verdict == BLOCKED
        and seen.reviewed.verdict != BLOCKED
        and all("the name is taken" in r for r in failures)
    )


def item2_provisioning_api_unchecked(seen: Seen) -> bool:
    """Item 2: a switch to ``provisioning: api`` is reviewed as safe (the generator keeps ``manual``:
    only its case reaches this)."""
    switched = seen.pair.new["app"].get("provisioning") == "api" != seen.pair.base["app"].get("provisioning")
    return switched and seen.model.verdict == ATTENTION and seen.reviewed.verdict == SAFE


def item3_order_of_parallel_steps(seen: Seen) -> bool:
    """Item 3: the outcome (or whether E0000046 stops the run) depends on the order of steps Pulumi
    runs in parallel; review explores one order."""
    m, r = seen.model, seen.reviewed
    if m.verdict == BLOCKED and r.verdict != BLOCKED:
        return all("in some orders" in x and "E0000046" in x for x in m.reasons)
    return (  # review's outcome is one of the model's: it explored one order
        m.verdict == ATTENTION
        and r.verdict == SAFE
        and not seen.disagreement.people
        and any("depends on the order" in x for x in m.reasons)
    )


def item4_problem_before_the_change_in_the_verdict(seen: Seen) -> bool:
    """Item 4: Own before -> after agree with the model, which finds no new mismatch, but a mismatch
    that exists before the change (a user in an existing group and a created one: Own holds the
    existing group's regions) makes the verdict "needs attention"."""
    r = seen.reviewed
    return (
        seen.model.verdict == SAFE
        and r.verdict == ATTENTION
        and not seen.disagreement.people
        and all("not as the new config means" in x for x in r.reasons)
    )


def item5_reorder_replaces(seen: Seen) -> Seen | None:
    """Item 5: a reorder of regions replaces an assignment. The model treats a reorder as no change,
    so the same pair with NEW's regions written in BASE's order must give the same review: returns
    that review (to explain what remains), or None when NEW reorders nothing."""
    new = copy.deepcopy(seen.pair.new)
    old = {g.get("key") or g["name"]: g for g in seen.pair.base["groups"]}
    old |= {p["login"]: p for p in seen.pair.base["people"]}
    reordered = False
    for item in new["groups"] + new["people"]:
        was = old.get(item.get("key") or item.get("name") or item.get("login"))
        same = was and "regions" in item and "regions" in was and sorted(was["regions"]) == sorted(item["regions"])
        if same and was["regions"] != item["regions"]:
            item["regions"], reordered = list(was["regions"]), True
    if not reordered:
        return None
    pair = Pair(seen.pair.base, new, seen.pair.base_directory, seen.pair.directory, seen.pair.edits)
    base, new_text, after, before = pair.texts()
    reviewed = run_review(seen.folder, base, new_text, after, before)
    return Seen(pair, seen.model, reviewed, compare(seen.model, reviewed), seen.folder)


def item8_move_keeps_old_regions(seen: Seen, login: str, possible: set[tuple[Own, Own]], got: tuple[Own, Own]) -> bool:
    """Item 8: Own removes a deprovisioned user, so a move re-creates it with the new regions;
    review keeps the old ones."""
    before, after = got
    return before is not None and after == before and any(b == before and a not in (None, before) for b, a in possible)


VERDICT_CAUSES: list[Callable[[Seen], bool]] = [
    item1_group_name_taken,
    item2_provisioning_api_unchecked,
    item3_order_of_parallel_steps,
    item4_problem_before_the_change_in_the_verdict,
]
PERSON_CAUSES = [item8_move_keeps_old_regions]


def explain(seen: Seen) -> tuple[list[str], list[str]]:
    """(the causes that explain the disagreement, what no cause explains)."""
    causes, unexplained = [], []
    canonical = item5_reorder_replaces(seen)
    if canonical is not None:
        if (canonical.reviewed.verdict, canonical.reviewed.people, canonical.reviewed.reasons) != (
            seen.reviewed.verdict,
            seen.reviewed.people,
            seen.reviewed.reasons,
        ):
            causes.append(item5_reorder_replaces.__name__)
        seen = canonical
    d = seen.disagreement
    if d.verdict:
        cause = next((c for c in VERDICT_CAUSES if c(seen)), None)
        if cause is None:
            unexplained.append(f"verdict: model {d.verdict[0]}, review {d.verdict[1]}")
        else:
            causes.append(cause.__name__)
    for login, (possible, got) in d.people.items():
        person = next((c for c in PERSON_CAUSES if c(seen, login, possible, got)), None)  # type: ignore[arg-type]
        if person is None:
            unexplained.append(f"{login}: model {sorted(map(str, possible))}, review {got}")
        else:
            causes.append(person.__name__)
    return sorted(set(causes)), unexplained
