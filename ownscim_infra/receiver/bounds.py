"""The bounds on the work of one request, checked before the work: PATCH operations, filter
length and clauses, and one name per attribute.

A request over a bound is refused with 400 before any of its work is done: a PATCH with more
operations than ``max_patch_operations`` (``invalidValue``), a filter (a search's, or a PATCH
path's value filter) longer than ``max_filter_length`` characters or holding more than
``max_filter_clauses`` comparisons (``tooMany``). RFC 7643 §5 has no field for these bounds,
so ``/ServiceProviderConfig`` does not carry them: docs/receiver.md ("Request bounds") lists
them. The HTTP bounds (body size, time to send it, headers) are the transport's (:mod:`.app`,
:mod:`.protocol`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scim2_models import InvalidValueException, SCIMException, TooManyException
from scim2_models import Path as ScimPath
from scim2_models.path.expressions import Comparison, FilterNode, LogicalExpr, Not, Present, ValuePath

#: Where a refusal sends the client to read the bounds.
WHERE_DOCUMENTED = "docs/receiver.md, Request bounds"


def attribute(payload: Any, name: str) -> Any:
    """The value of attribute ``name`` of a decoded JSON object (names compared ignoring case,
    RFC 7643 §2.1; :func:`case_clash` makes them unique), or ``None``."""
    if not isinstance(payload, Mapping):
        return None
    folded = name.casefold()
    return next((v for k, v in payload.items() if k.casefold() == folded), None)


def case_clash(value: Any) -> tuple[str, str] | None:
    """The first two keys of one JSON object in ``value`` (a decoded body, walked depth-first)
    that are equal ignoring case (``("Operations", "operations")``), or ``None``."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            seen: dict[str, str] = {}
            for key, child in item.items():
                folded = key.casefold()
                if folded in seen:
                    return seen[folded], key
                seen[folded] = key
                stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)
    return None


def filter_clauses(node: FilterNode) -> int:
    """The comparisons and presence tests in a parsed filter, those of value paths included."""
    if isinstance(node, Comparison | Present):
        return 1
    if isinstance(node, LogicalExpr):
        return sum(filter_clauses(term) for term in node.terms)
    if isinstance(node, Not):
        return filter_clauses(node.expr)
    if isinstance(node, ValuePath):
        return filter_clauses(node.val_filter)
    return 1


@dataclass(frozen=True)
class RequestBounds:
    """The bounds of one request (see the module); each ``check_*`` raises the 400 it names."""

    max_patch_operations: int
    max_filter_clauses: int
    max_filter_length: int

    def check_patch(self, payload: Any) -> None:
        """Check a decoded PatchOp body: at most ``max_patch_operations`` operations, and each
        ``path``'s value filter within the filter bounds; counted before any is validated or applied.

        :raises InvalidValueException: 400 ``invalidValue``, too many operations.
        :raises TooManyException: 400 ``tooMany``, a path's filter is over a bound.
        """
        operations = attribute(payload, "Operations")
        limit = self.max_patch_operations
        if isinstance(operations, list) and len(operations) > limit:
            raise InvalidValueException(
                detail=f"A PATCH may carry at most {limit} operations ({WHERE_DOCUMENTED}), "
                f"this one has {len(operations)}: send them in several requests"
            )
        for operation in operations if isinstance(operations, list) else ():
            path = attribute(operation, "path")
            if isinstance(path, str):  # a value filter in it (emails[type eq "work"]) is bounded as a filter
                what = "A PATCH path (its value filter)"
                self.check_filter_length(path, what)
                try:
                    ast = ScimPath(path).ast
                except (SCIMException, ValueError):
                    continue  # not a valid path: the validation says so
                self.check_filter_clauses(filter_clauses(ast.val_filter) if isinstance(ast, ValuePath) else 0, what)

    def check_filter_length(self, text: str, what: str) -> None:
        """Refuse a filter over ``max_filter_length`` characters, before it is parsed.

        :raises TooManyException: 400 ``tooMany``, naming ``what`` and the bound."""
        if len(text) > self.max_filter_length:
            raise TooManyException(
                detail=f"{what} may be at most {self.max_filter_length} characters long ({WHERE_DOCUMENTED})"
            )

    def check_filter_clauses(self, clauses: int, what: str) -> None:
        """Refuse a parsed filter of more than ``max_filter_clauses`` comparisons
        (:func:`filter_clauses`), before it is evaluated.

        :raises TooManyException: 400 ``tooMany``, naming ``what``, the bound and ``clauses``."""
        if clauses > self.max_filter_clauses:
            raise TooManyException(
                detail=f"{what} may hold at most {self.max_filter_clauses} comparisons "
                f"({WHERE_DOCUMENTED}), this one has {clauses}"
            )
