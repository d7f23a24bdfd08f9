"""A documented subset of the Okta Expression Language, evaluated as a group rule would be.

A config group's ``rule`` (``okta.group.Rule``, expression type ``urn:okta:expression:1.0``)
is evaluated by Okta against each user's profile. Offline, :func:`evaluate` does the same
against a directory user's attributes for this subset of Okta's "Okta Expression Language
overview" (developer.okta.com/docs/reference/okta-expression-language/) and of its "Group
rules" page (help.okta.com, "About group rules"):

- string literals in double or single quotes (``"EMEA"``; ``\\"`` and ``\\\\`` escape);
- ``user.<attribute>``: the user's profile attribute (``user.department``,
  ``user.countryCode``); an attribute the user does not have is ``null``, as Okta's unset
  attributes are, and ``null`` equals nothing but ``null``;
- comparisons ``==`` and ``!=`` (exact, case-sensitive: SpEL's ``equals``);
- ``and`` / ``&&``, ``or`` / ``||``, ``not`` / ``!`` (keywords in any case), with Okta's
  (SpEL's) precedence, tightest first: ``not``, comparisons, ``and``, ``or``; parentheses.
  So ``not user.a == "x"`` negates ``user.a`` (a string: cannot evaluate), as in SpEL;
  write ``!(user.a == "x")`` or ``user.a != "x"``;
- ``String.startsWith(s, prefix)``, ``String.stringContains(s, part)`` (case-sensitive;
  ``false`` when ``s`` is ``null``), ``Arrays.contains(array, value)`` (``false`` when the
  array is ``null``), ``isMemberOfAnyGroup("00g...", ...)`` (the user is in any of the groups
  named by id).

Anything else -- numbers, ``<``/``>``, the ternary ``?:``, other functions
(``String.toUpperCase``, ``isMemberOfGroupName``...), ``user.getGroups()``, ``appuser``,
``org`` -- is not guessed at: :func:`parse` and :func:`evaluate` return
:class:`CannotEvaluate` with the reason, never ``False``. A caller reports such a rule as
one whose members it cannot compute; the rule itself is still declared for Okta.

Why not a library: the one on PyPI that parses OEL (``okta-expression-parser``) needs
``sly`` and reconfigures its logging globally, and this layer is the standard library only
(``docs/architecture.md``); the grammar above is some 150 lines.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

#: The expression type of every rule the program declares (``expression_type``).
EXPRESSION_TYPE = "urn:okta:expression:1.0"

#: The deepest nesting :func:`parse` reads (parentheses, ``not``/``!`` and function
#: arguments, each one level): deeper is :class:`CannotEvaluate`, never a recursion error.
#: Okta documents no limit; a rule a person writes nests a few levels.
MAX_DEPTH = 32


@dataclass(frozen=True)
class CannotEvaluate:
    """An expression outside the subset (or malformed): ``reason`` says what, ``position``
    the 0-based character where it was found (``None``: the whole expression)."""

    reason: str
    position: int | None = None

    def __str__(self) -> str:
        where = "" if self.position is None else f" (at character {self.position + 1})"
        return f"cannot evaluate: {self.reason}{where}"


class _Refused(Exception):
    """Raised inside the parser; becomes :class:`CannotEvaluate`."""

    def __init__(self, reason: str, position: int | None) -> None:
        super().__init__(reason)
        self.reason, self.position = reason, position


#: Okta's base user profile attributes ("Default profile properties" of the Users API,
#: developer.okta.com/docs/reference/api/users/; the Universal Directory's base profile). A rule
#: may read these and the custom attributes the org's profile defines, nothing else: Okta's
#: "Group rules" page (help.okta.com) says "user attributes used in expressions can only refer
#: to available Okta user attributes", and refuses an expression on another (pulumi up fails).
OKTA_BASE_ATTRIBUTES = frozenset(
    {
        "login", "email", "secondEmail", "firstName", "lastName", "middleName", "honorificPrefix",
        "honorificSuffix", "title", "displayName", "nickName", "profileUrl", "primaryPhone", "mobilePhone",
        "streetAddress", "city", "state", "zipCode", "countryCode", "postalAddress", "preferredLanguage",
        "locale", "timezone", "userType", "employeeNumber", "costCenter", "organization", "division",
        "department", "managerId", "manager",
    }
)  # fmt: skip

#: ``user.<attribute>`` written in an expression (not ``user.getGroups()``-like calls).
_ATTRIBUTE_REFERENCE = re.compile(r"\buser\.([A-Za-z_$][A-Za-z0-9_$]*)\b(?!\s*[.(])")


# --------------------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    |(?P<op>==|!=|&&|\|\||<=|>=|[()!,<>?:+\-*/%\[\]{}=])
    |(?P<name>[A-Za-z_$][A-Za-z0-9_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)*)
    |(?P<number>\d+(?:\.\d+)?)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and": "and", "or": "or", "not": "not", "&&": "and", "||": "or", "!": "not"}


@dataclass(frozen=True)
class _Token:
    kind: str  # string | op | name | number | end
    text: str
    position: int


def _tokens(expression: str) -> list[_Token]:
    found: list[_Token] = []
    at = 0
    while at < len(expression):
        if not expression[at:].strip():
            break
        match = _TOKEN.match(expression, at)
        if match is None or match.lastgroup is None:
            position = len(expression) - len(expression[at:].lstrip())
            raise _Refused(f"unexpected character {expression[position]!r}", position)
        kind = match.lastgroup
        text = match.group(kind)
        found.append(_Token(kind, text, match.start(kind)))
        at = match.end()
    found.append(_Token("end", "", len(expression)))
    return found


# --------------------------------------------------------------------------- the tree


@dataclass(frozen=True)
class Literal:
    """A string literal."""

    value: str


@dataclass(frozen=True)
class Attribute:
    """``user.<name>``."""

    name: str


@dataclass(frozen=True)
class Call:
    """One of the supported functions with its arguments."""

    function: str
    arguments: tuple[Node, ...]


@dataclass(frozen=True)
class Compare:
    """``left == right`` (``negated``: ``!=``)."""

    left: Node
    right: Node
    negated: bool


@dataclass(frozen=True)
class Logical:
    """``and`` / ``or`` of two conditions."""

    operator: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    """``not`` of a condition."""

    operand: Node


Node = Literal | Attribute | Call | Compare | Logical | Not

#: The supported functions -> (their number of arguments, ``None`` for one or more).
FUNCTIONS: dict[str, int | None] = {
    "String.startsWith": 2,
    "String.stringContains": 2,
    "Arrays.contains": 2,
    "isMemberOfAnyGroup": None,
}


class _Parser:
    """Recursive descent over the grammar::

    or      := and (("or" | "||") and)*
    and     := compare (("and" | "&&") compare)*
    compare := unary (("==" | "!=") unary)?
    unary   := ("not" | "!") unary | primary
    primary := STRING | "user." NAME | FUNCTION "(" args ")" | "(" or ")"
    """

    def __init__(self, expression: str) -> None:
        self.tokens = _tokens(expression)
        self.at = 0
        self.depth = 0

    def deeper(self) -> None:
        """One more level of nesting, refused beyond :data:`MAX_DEPTH`."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Refused(f"the expression is nested deeper than {MAX_DEPTH} levels", self.token.position)

    @property
    def token(self) -> _Token:
        return self.tokens[self.at]

    def keyword(self) -> str | None:
        token = self.token
        return _KEYWORDS.get(token.text.lower()) if token.kind in ("name", "op") else None

    def take(self, text: str) -> None:
        if self.token.text != text:
            raise _Refused(f"expected {text!r}, found {self._shown(self.token)}", self.token.position)
        self.at += 1

    @staticmethod
    def _shown(token: _Token) -> str:
        return "the end of the expression" if token.kind == "end" else repr(token.text)

    def parse(self) -> Node:
        node = self.disjunction()
        if self.token.kind != "end":
            raise _Refused(self._unsupported(self.token), self.token.position)
        return node

    def disjunction(self) -> Node:
        node = self.conjunction()
        while self.keyword() == "or":
            self.at += 1
            node = Logical("or", node, self.conjunction())
        return node

    def conjunction(self) -> Node:
        node = self.comparison()
        while self.keyword() == "and":
            self.at += 1
            node = Logical("and", node, self.comparison())
        return node

    def comparison(self) -> Node:
        left = self.unary()
        if self.token.text in ("==", "!="):
            negated = self.token.text == "!="
            self.at += 1
            return Compare(left, self.unary(), negated)
        return left

    def unary(self) -> Node:
        if self.keyword() == "not":
            self.deeper()
            self.at += 1
            node = Not(self.unary())
            self.depth -= 1
            return node
        return self.primary()

    def primary(self) -> Node:
        token = self.token
        if token.kind == "string":
            self.at += 1
            return Literal(re.sub(r"\\(.)", r"\1", token.text[1:-1]))
        if token.text == "(":
            self.deeper()
            self.at += 1
            node = self.disjunction()
            self.take(")")
            self.depth -= 1
            return node
        if token.kind == "name" and self.keyword() is None:
            self.at += 1
            if self.token.text == "(":
                return self.call(token)
            if token.text.startswith("user.") and token.text.count(".") == 1:
                return Attribute(token.text.removeprefix("user."))
        raise _Refused(self._unsupported(token), token.position)

    def call(self, name: _Token) -> Node:
        if name.text not in FUNCTIONS:
            raise _Refused(f"the function {name.text} is outside the supported subset", name.position)
        self.deeper()
        self.take("(")
        arguments: list[Node] = []
        while self.token.text != ")":
            if arguments:
                self.take(",")
            arguments.append(self.disjunction())
        self.take(")")
        self.depth -= 1
        wanted = FUNCTIONS[name.text]
        if (wanted is None and not arguments) or (wanted is not None and len(arguments) != wanted):
            count = "one or more" if wanted is None else str(wanted)
            raise _Refused(f"{name.text} takes {count} arguments, not {len(arguments)}", name.position)
        return Call(name.text, tuple(arguments))

    def _unsupported(self, token: _Token) -> str:
        if token.kind == "end":
            return "the expression ends too early"
        if token.kind == "number":
            return f"number literals ({token.text}) are outside the supported subset (string literals only)"
        if token.text in ("<", ">", "<=", ">="):
            return f"the comparison {token.text} is outside the supported subset (== and != only)"
        if token.text in ("?", ":"):
            return "the conditional operator ?: is outside the supported subset"
        if token.kind == "name" and not token.text.startswith("user."):
            return f"{token.text} is outside the supported subset (user.<attribute>, string literals, functions)"
        if token.kind == "name":
            return f"{token.text} is outside the supported subset (user.<attribute> only, no nested path)"
        return f"unexpected {token.text!r}"


def parse(expression: str) -> Node | CannotEvaluate:
    """The tree of ``expression``, or :class:`CannotEvaluate` naming what is outside the
    subset (or malformed) and where. Pure; raises nothing."""
    try:
        return _Parser(expression).parse()
    except _Refused as refused:
        return CannotEvaluate(refused.reason, refused.position)


# --------------------------------------------------------------------------- evaluation


def _value(node: Node, user: Mapping[str, Any], groups: Collection[str]) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Attribute):
        return user.get(node.name)
    return _condition(node, user, groups)


def _condition(node: Node, user: Mapping[str, Any], groups: Collection[str]) -> bool:
    if isinstance(node, Logical):
        left = _condition(node.left, user, groups)
        if node.operator == "and":
            return left and _condition(node.right, user, groups)
        return left or _condition(node.right, user, groups)
    if isinstance(node, Not):
        return not _condition(node.operand, user, groups)
    if isinstance(node, Compare):
        equal = bool(_value(node.left, user, groups) == _value(node.right, user, groups))
        return equal != node.negated
    if isinstance(node, Call):
        return _call(node, user, groups)
    value = _value(node, user, groups)
    if isinstance(value, bool):  # a boolean attribute used as a condition
        return value
    raise _Refused(f"{_described(node)} is not a condition (true or false)", None)


def _described(node: Node) -> str:
    return f"user.{node.name}" if isinstance(node, Attribute) else f"the string {node!r}"


def _call(node: Call, user: Mapping[str, Any], groups: Collection[str]) -> bool:
    values = [_value(a, user, groups) for a in node.arguments]
    if node.function == "isMemberOfAnyGroup":
        if not all(isinstance(v, str) for v in values):
            raise _Refused("isMemberOfAnyGroup takes group ids as strings", None)
        return any(v in groups for v in values)
    first, second = values
    if node.function == "Arrays.contains":
        if first is None:
            return False
        if not isinstance(first, list | tuple):
            raise _Refused("the first argument of Arrays.contains must be an array attribute", None)
        return second in first
    if first is None:
        return False
    if not isinstance(first, str) or not isinstance(second, str):
        raise _Refused(f"{node.function} takes two strings", None)
    return first.startswith(second) if node.function == "String.startsWith" else second in first


def evaluate(expression: str | Node, user: Mapping[str, Any], groups: Collection[str] = ()) -> bool | CannotEvaluate:
    """Whether the user with profile ``user`` (attribute name -> value: a string, number,
    boolean or list of strings; a missing attribute is ``null``) and in the groups ``groups``
    (the ids ``isMemberOfAnyGroup`` names) matches ``expression`` (a string, or the tree
    :func:`parse` returned).

    Returns ``True`` / ``False``, or :class:`CannotEvaluate` with the reason when the
    expression is outside the subset or does not apply to these values (a string where a
    condition is wanted, an array function on a string). Pure; raises nothing.
    """
    tree = parse(expression) if isinstance(expression, str) else expression
    if isinstance(tree, CannotEvaluate):
        return tree
    try:
        return _condition(tree, user, groups)
    except _Refused as refused:
        return CannotEvaluate(refused.reason, refused.position)


def _functions(node: Node) -> set[str]:
    """The functions ``node`` calls, nested ones included."""
    if isinstance(node, Call):
        return {node.function}.union(*(_functions(a) for a in node.arguments))
    if isinstance(node, Compare | Logical):
        return _functions(node.left) | _functions(node.right)
    if isinstance(node, Not):
        return _functions(node.operand)
    return set()


def _attributes(node: Node) -> set[str]:
    if isinstance(node, Attribute):
        return {node.name}
    if isinstance(node, Call):
        return set().union(*(_attributes(a) for a in node.arguments))
    if isinstance(node, Compare | Logical):
        return _attributes(node.left) | _attributes(node.right)
    if isinstance(node, Not):
        return _attributes(node.operand)
    return set()


def attribute_names(expression: str) -> set[str]:
    """The ``user.<attribute>`` names ``expression`` reads: from its tree when :func:`parse`
    reads it, else every ``user.<name>`` written in it (not followed by a call or a further
    path). Pure."""
    tree = parse(expression)
    if isinstance(tree, CannotEvaluate):
        return set(_ATTRIBUTE_REFERENCE.findall(expression))
    return _attributes(tree)


def offline_rule(expression: str) -> Node | CannotEvaluate:
    """The tree of ``expression`` as the offline emulation evaluates it against a directory
    file's users, or :class:`CannotEvaluate`: outside the subset (:func:`parse`), or naming
    groups by Okta id (``isMemberOfAnyGroup``): a directory file lists groups by name, and the
    emulated org's ids are not the real org's, so a match could not be told from a miss."""
    tree = parse(expression)
    if isinstance(tree, CannotEvaluate):
        return tree
    if "isMemberOfAnyGroup" in _functions(tree):
        return CannotEvaluate(
            "isMemberOfAnyGroup names groups by Okta id, which a directory file does not hold (it lists names)"
        )
    return tree
