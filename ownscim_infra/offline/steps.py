"""A step of an emulated ``pulumi up``: what the engine does to one resource, and how it ended.

The engine (:mod:`.engine`) makes them; the report (:mod:`.report`), its renderers and the
review read them. Typed to the edge: the operation and the status are enums, Okta's error
code is a field (never searched for in a message), and a replacement set off by a
``replacementTrigger`` keeps the recorded and declared values apart. Loads no Pulumi.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ownscim_infra.offline.okta_org import OktaApiError


class Op(StrEnum):
    """What the engine does to a resource (``pulumi up``'s step kinds)."""

    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    SAME = "same"


class Status(StrEnum):
    """How a step ended."""

    DONE = "done"
    FAILED = "failed"
    NOT_RUN = "not run"


@dataclass(frozen=True)
class Trigger:
    """A ``replacementTrigger`` that set a replacement off: the value ``recorded`` in the
    state and the one the program ``declared`` (each as the mocks record it: a JSON text
    for the assignments' ``profile_json``)."""

    recorded: Any
    declared: Any

    def render(self) -> str:
        """``<recorded> -> <declared>``."""
        return f"{self.recorded} -> {self.declared}"


@dataclass
class Step:
    """One step of a run: ``op`` (:class:`Op`), ``paths`` the input keys that changed
    (``replacementTrigger`` when the trigger replaced it), ``status`` (:class:`Status`),
    ``error`` what failed (Okta's answer, a hook's refusal) and ``error_code`` Okta's error
    code when Okta refused it (``E0000046``...)."""

    name: str
    type: str
    op: Op
    paths: list[str] = field(default_factory=list)
    status: Status = Status.DONE
    error: str | None = None
    delete_before_replace: bool = False
    #: a replacement the trigger set off: the recorded and the declared values
    trigger: Trigger | None = None
    error_code: str | None = None

    def fail(self, exc: Exception) -> None:
        """Mark the step failed by ``exc`` (Okta's error code kept when Okta refused it)."""
        self.status, self.error = Status.FAILED, str(exc)
        self.error_code = exc.code if isinstance(exc, OktaApiError) else None

    def to_json(self) -> dict[str, Any]:
        """``{"name", "type", "op", "paths", "status"}`` (+ ``"error"`` when it failed, and
        ``"detail"``, the trigger's recorded and declared values, when the trigger replaced it)."""
        doc: dict[str, Any] = {"name": self.name, "type": self.type, "op": str(self.op), "paths": self.paths}
        doc["status"] = str(self.status)
        if self.error:
            doc["error"] = self.error
        if self.trigger is not None:
            doc["detail"] = self.trigger.render()
        return doc
