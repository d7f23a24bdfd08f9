"""Compare the review with the reference model: the verdict class, and person by person Own
before and after (the review's pair must be one the model finds possible)."""

from __future__ import annotations

from dataclasses import dataclass

from tests.oracle.product import Reviewed
from tests.oracle.reference_model import BLOCKED, Verdict


@dataclass
class Disagreement:
    verdict: tuple[str, str] | None  # (model, review) when they differ
    people: dict[str, tuple[object, object]]  # login -> (the model's possible pairs, the review's pair)

    def __bool__(self) -> bool:
        return self.verdict is not None or bool(self.people)

    def lines(self) -> list[str]:
        """One line per difference: the verdict, then each person (the model's possible
        (before, after) pairs, and the review's)."""
        out = [] if self.verdict is None else [f"verdict: model {self.verdict[0]}, review {self.verdict[1]}"]
        return out + [
            f"{login}: model {sorted(map(str, possible))}, review {got}"
            for login, (possible, got) in self.people.items()
        ]


def compare(model: Verdict, reviewed: Reviewed) -> Disagreement:
    verdict = None if model.verdict == reviewed.verdict else (model.verdict, reviewed.verdict)
    people: dict[str, tuple[object, object]] = {}
    if BLOCKED not in (model.verdict, reviewed.verdict):
        for login, possible in model.people.items():
            if login in reviewed.people and reviewed.people[login] not in possible:
                people[login] = (possible, reviewed.people[login])
    return Disagreement(verdict, people)
