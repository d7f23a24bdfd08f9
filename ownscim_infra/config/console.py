"""The console file: what admins did in the Okta Admin Console between two ``pulumi up``.

``simulate --previous OLD --console FILE`` and ``review BASE NEW --console FILE`` apply these
actions to the emulated org after the previous run and before the new ``pulumi up``
(:mod:`ownscim_infra.offline.console`). The file is a YAML list, in the order the admins
acted (``config/README.md``, "The console file")::

    - {action: set-regions, group: Own US, regions: "emea2"}       # a group assignment's value
    - {action: set-regions, person: dana.lee@example.com, regions: "us1"}
    - {action: unassign, person: sam.rivera@example.com}
    - {action: unassign, group: Own EMEA}
    - {action: add-member, group: Own US, login: chris.doe@example.com}
    - {action: remove-member, group: Own US, login: jordan.kim@example.com}
    - {action: rename-group, group: Own US, to: US Team}
    - {action: deactivate-rule, group: Own France}                 # the rule that fills the group
    - {action: edit-rule, group: Own France, expression: 'user.countryCode == "BE"'}
    - {action: rename-app, to: Own (old)}                            # the app's label
    - {action: deactivate-app}
    - {action: delete-app}

Read with the config's bounded reader (:func:`~ownscim_infra.config.yaml_reader.read_document`)
and validated like the config (:func:`~ownscim_infra.config.validation.validate_document`):
every problem at once, each naming the file, line, key path (``[2].action``), the value and
what is allowed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, StrictStr, field_validator, model_validator

from ownscim_infra.config.errors import ConfigError, ConfigIssue
from ownscim_infra.config.models import RULE_EXPRESSION_MAX, Login, StrictModel, Text
from ownscim_infra.config.validation import closest_key, validate_document
from ownscim_infra.config.yaml_reader import Positions, read_document
from ownscim_infra.domain import expression
from ownscim_infra.domain.console_actions import ACTIONS
from ownscim_infra.domain.regions import join_regions

#: :data:`ACTIONS`' names, for the type checker (a test keeps the two equal).
ActionName = Literal[
    "set-regions",
    "unassign",
    "add-member",
    "remove-member",
    "rename-group",
    "deactivate-rule",
    "edit-rule",
    "rename-app",
    "deactivate-app",
    "delete-app",
]

#: The document key the list is validated under (never shown: paths start at ``[n]``).
_LIST = "actions"


class ConsoleAction(StrictModel):
    """One admin action in the Admin Console: ``action`` and the keys it takes (:data:`ACTIONS`)."""

    action: ActionName = Field(description="What the admin did: " + ", ".join(ACTIONS) + ".")
    group: Text | None = Field(default=None, min_length=1, description="The group, by its name in Okta.")
    person: Login | None = Field(default=None, description="The person, by Okta login.")
    login: Login | None = Field(default=None, description="The member added or removed, by Okta login.")
    regions: StrictStr | None = Field(
        default=None, description='The new `regions` value as typed in the console, e.g. "us1,emea2" (or a list).'
    )
    to: Text | None = Field(
        default=None, min_length=1, description="The new name: a group's (rename-group), the app's label (rename-app)."
    )
    expression: Text | None = Field(
        default=None,
        min_length=1,
        max_length=RULE_EXPRESSION_MAX,
        description="The group rule's new expression (edit-rule), in the Okta Expression Language subset the "
        "emulation evaluates (ownscim_infra/domain/expression.py).",
    )

    @field_validator("action", mode="before")
    @classmethod
    def _known_action(cls, value: Any) -> Any:
        """A misspelt action is told the one it most likely means, as a misspelt config key is
        (:func:`~ownscim_infra.config.validation.closest_key`)."""
        if isinstance(value, str) and value not in ACTIONS:
            close = closest_key(value, list(ACTIONS))
            if close is not None:
                allowed = ", ".join(f"'{a}'" for a in list(ACTIONS)[:-1]) + f" or '{list(ACTIONS)[-1]}'"
                raise ValueError(f"must be {allowed}; did you mean `{close}`?")
        return value

    @field_validator("expression")
    @classmethod
    def _evaluable(cls, value: str | None) -> str | None:
        """An expression the emulation must evaluate (who the edited rule puts in the group):
        one :func:`~ownscim_infra.domain.expression.parse` refuses is an error saying why and
        what the subset allows."""
        if value is None:
            return value
        tree = expression.parse(value)
        if isinstance(tree, expression.CannotEvaluate):
            raise ValueError(
                f"{tree}: edit-rule takes an expression the offline evaluator reads (user.<attribute> ==/!= "
                "'text', and/or/not, parentheses, String.startsWith, String.stringContains, Arrays.contains, "
                "isMemberOfAnyGroup: ownscim_infra/domain/expression.py), e.g. 'user.countryCode == \"BE\"'"
            )
        return value

    @field_validator("regions", mode="before")
    @classmethod
    def _joined(cls, value: Any) -> Any:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return join_regions(v.strip() for v in value)
        return value

    @model_validator(mode="after")
    def _keys_of_the_action(self) -> ConsoleAction:
        takes = ACTIONS[self.action]
        given = [k for k in ("group", "person", "login", "regions", "to", "expression") if getattr(self, k) is not None]
        allowed = {k for spec in takes for k in spec.split(" | ")}
        extra = [k for k in given if k not in allowed]
        needed = [spec for spec in takes if not any(k in given for k in spec.split(" | "))]
        problems = []
        if "group | person" in takes and self.group is not None and self.person is not None:
            problems.append("takes `group` or `person`, not both")
        if extra:
            problems.append(f"does not take {', '.join(f'`{k}`' for k in extra)}")
        if needed:
            problems.append(f"needs {', '.join(f'`{k}`' for k in needed)}")
        if problems:
            wanted = ", ".join(f"`{k}`" for k in takes) or "no other key"
            raise ValueError(f"{self.action} {'; '.join(problems)} (it takes {wanted})")
        return self

    @property
    def subject(self) -> str:
        """The group or person acted on (``the app`` for ``rename-app``, ``deactivate-app``, ``delete-app``)."""
        return self.group or self.person or "the app"

    def render(self) -> str:
        """One line: ``set-regions group 'Own US': regions 'emea2'``."""
        target = f"group {self.group!r}" if self.group else f"person {self.person}" if self.person else "the app"
        extra = {"regions": self.regions, "login": self.login, "to": self.to, "expression": self.expression}
        tail = ", ".join(f"{k} {v!r}" for k, v in extra.items() if v is not None)
        return f"{self.action} {target}" + (f": {tail}" if tail else "")


class ConsoleFile(StrictModel):
    """The console file's list, validated under one key (paths are shown from ``[n]``)."""

    actions: list[ConsoleAction] = Field(default_factory=list)


def parse_console(
    data: Any, file: str | Path = "<console>", *, positions: Positions | None = None
) -> list[ConsoleAction]:
    """Validate a parsed console document (a YAML list; an empty file is no action).

    :raises ConfigError: every problem, each with the file, position, key path (``[2].action``),
        the value and what is allowed."""
    if data is None:
        return []
    if not isinstance(data, list):
        where = positions.of(()) if positions else None
        message = "the console file must be a YAML list of actions, e.g. - {action: unassign, group: Own US}"
        raise ConfigError(
            file, [ConfigIssue("", data, message, where.line if where else None, where.column if where else None)]
        )
    shifted = None
    if positions is not None:
        shifted = Positions(
            {(_LIST, *loc): pos for loc, pos in positions.values.items()},
            {(_LIST, *loc): pos for loc, pos in positions.keys.items()},
        )
    try:
        return validate_document(ConsoleFile, {_LIST: data}, file, positions=shifted).actions
    except ConfigError as exc:
        raise ConfigError(file, [_unshifted(i) for i in exc.issues]) from None


def _unshifted(issue: ConfigIssue) -> ConfigIssue:
    """The issue with its path from the list (``[2].action``, not ``actions[2].action``)."""
    return ConfigIssue(
        issue.path.removeprefix(_LIST),
        issue.value,
        issue.message,
        issue.line,
        issue.column,
        issue.where.removeprefix(_LIST),
    )


def load_console(path: str | Path) -> list[ConsoleAction]:
    """Read and validate a console file (the config reader's bounds: size, depth, aliases).

    :raises ConfigError: file, line and column, key path, value, what is allowed."""
    return read_console(path)[0]


def read_console(path: str | Path) -> tuple[list[ConsoleAction], Positions]:
    """:func:`load_console`, with the positions of the file's keys and values (by key path
    from the list: ``(2, "group")``), for errors found when the actions are applied."""
    document = read_document(path)
    return parse_console(document.data, path, positions=document.positions), document.positions
