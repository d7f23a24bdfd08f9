"""The finding codes are defined once: the docs list exactly them, and no module compares a
finding's code with a string literal of its own."""

from __future__ import annotations

import ast
import re

from ownscim_infra.domain.findings import MEANINGS, Code, codes_markdown, meaning
from ownscim_infra.domain.setup_rules import RULES
from tests.conftest import REPO

PACKAGE = REPO / "ownscim_infra"


def test_the_docs_list_every_code_and_only_those():
    doc = (REPO / "docs" / "findings.md").read_text(encoding="utf-8")
    assert doc == codes_markdown(), "regenerate docs/findings.md from ownscim_infra.domain.findings.codes_markdown()"
    listed = re.findall(r"^\| `([^`]+)` \|", doc, flags=re.M)
    assert listed == [str(code) for code in Code]


def test_every_code_says_what_it_reports_once():
    rule_codes = {rule.code for rule in RULES}
    assert len(rule_codes) == len(RULES), "two rules share a code"
    assert not rule_codes & set(MEANINGS), "a rule's meaning is its assertion, not a second text"
    assert set(Code) == rule_codes | set(MEANINGS)
    assert all(meaning(code) for code in Code)


def _constants(node: ast.expr) -> list[object]:
    if isinstance(node, ast.Constant):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant)]
    return []


def _literals_compared_with_a_code(source: str) -> list[str]:
    """Code literals compared with a ``.code`` or ``.check``, or given to ``Finding(...)``."""
    found: list[str] = []
    codes = {str(code) for code in Code}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(isinstance(o, ast.Attribute) and o.attr in ("code", "check") for o in operands):
                found += [str(v) for o in operands for v in _constants(o) if v in codes]
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("Finding", "check_result"):
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and first.value in codes:
                found.append(first.value)
    return found


def test_no_module_writes_a_finding_code_as_a_string():
    offenders = {
        str(path.relative_to(REPO)): hits
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "findings.py" or path.parent.name != "domain"
        if (hits := _literals_compared_with_a_code(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}, "use ownscim_infra.domain.findings.Code"
