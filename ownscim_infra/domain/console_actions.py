"""The Admin Console actions a console file may hold (``config/README.md``, "The console file"):
each action's name and the keys it takes besides ``action``.

Standard library only, so that ``--help`` lists them without loading the console file's
pydantic model (:mod:`ownscim_infra.config.console`, which validates the file against them).
"""

from __future__ import annotations

#: The actions, and the keys each takes besides ``action`` (one of a pair for ``group | person``).
ACTIONS: dict[str, tuple[str, ...]] = {
    "set-regions": ("group | person", "regions"),
    "unassign": ("group | person",),
    "add-member": ("group", "login"),
    "remove-member": ("group", "login"),
    "rename-group": ("group", "to"),
    "deactivate-rule": ("group",),
    "edit-rule": ("group", "expression"),
    "rename-app": ("to",),
    "deactivate-app": (),
    "delete-app": (),
}
