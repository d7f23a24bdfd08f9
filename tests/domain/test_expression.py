"""The Okta Expression Language subset a group rule is evaluated with offline."""

import pytest

from ownscim_infra.domain.expression import Attribute, CannotEvaluate, Compare, Logical, Not, evaluate, parse

BOB = {"login": "bob@example.com", "department": "Sales", "countryCode": "DE", "skills": ["apex", "soql"]}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('user.department == "Sales"', True),
        ('user.department == "sales"', False),  # exact, case-sensitive
        ('user.department != "Sales"', False),
        ("user.department == 'Sales'", True),  # single quotes
        ('user.title == "CEO"', False),  # an attribute the user does not have is null
        ('user.title != "CEO"', True),
        ('user.countryCode == "DE" or user.countryCode == "FR"', True),
        ('user.countryCode == "FR" || user.department == "Sales"', True),
        ('user.countryCode == "DE" and user.department == "HR"', False),
        ('user.countryCode == "DE" && user.department == "Sales"', True),
        ('user.countryCode == "DE" AND user.department == "Sales"', True),  # keywords in any case
        ('not (user.countryCode == "DE")', False),
        ('!(user.countryCode == "FR")', True),
        ('String.startsWith(user.login, "bob@")', True),
        ('String.startsWith(user.login, "Bob@")', False),
        ('String.startsWith(user.title, "C")', False),  # null string
        ('String.stringContains(user.department, "ale")', True),
        ('String.stringContains(user.department, "x")', False),
        ('Arrays.contains(user.skills, "soql")', True),
        ('Arrays.contains(user.skills, "java")', False),
        ('Arrays.contains(user.languages, "de")', False),  # null array
        ('isMemberOfAnyGroup("00g1", "00g2")', True),
        ('isMemberOfAnyGroup("00g3")', False),
        ('user.department == "Say \\"hi\\""', False),
    ],
)
def test_each_construct_of_the_subset_evaluates_as_okta_does(expression, expected):
    assert evaluate(expression, BOB, {"00g2"}) is expected


def test_and_binds_tighter_than_or():
    # a or (b and c): true through a alone; (a or b) and c would be false
    expression = 'user.countryCode == "DE" or user.department == "HR" and user.title == "CEO"'
    assert evaluate(expression, BOB) is True
    tree = parse(expression)
    assert isinstance(tree, Logical) and tree.operator == "or"
    assert isinstance(tree.right, Logical) and tree.right.operator == "and"


def test_parentheses_override_precedence():
    expression = '(user.countryCode == "DE" or user.department == "HR") and user.title == "CEO"'
    assert evaluate(expression, BOB) is False


def test_not_binds_tighter_than_a_comparison_as_in_spel():
    tree = parse('not user.department == "Sales"')
    assert isinstance(tree, Compare) and isinstance(tree.left, Not) and tree.left.operand == Attribute("department")
    result = evaluate('not user.department == "Sales"', BOB)
    assert isinstance(result, CannotEvaluate)
    assert "user.department is not a condition" in result.reason


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("user.age > 30", "the comparison > is outside the supported subset"),
        ("user.age == 30", "number literals (30) are outside the supported subset"),
        ('String.toUpperCase(user.department) == "SALES"', "the function String.toUpperCase is outside"),
        ('isMemberOfGroupName("Own EMEA")', "the function isMemberOfGroupName is outside"),
        ('user.department == "Sales" ? true : false', "outside the supported subset"),
        ('user.manager.name == "x"', "no nested path"),
        ('appuser.region == "EU"', "appuser.region is outside the supported subset"),
        ('(user.department == "Sales"', "expected ')'"),
        ("user.department ==", "the expression ends too early"),
        ('user.department == "Sales" #', "unexpected character '#'"),
        ("String.startsWith(user.department)", "String.startsWith takes 2 arguments, not 1"),
        ("isMemberOfAnyGroup()", "takes one or more arguments, not 0"),
        ("user.department", "user.department is not a condition"),
        ('Arrays.contains(user.department, "S")', "must be an array attribute"),
    ],
)
def test_what_is_outside_the_subset_cannot_be_evaluated_with_the_reason(expression, reason):
    result = evaluate(expression, BOB, {"00g1"})
    assert isinstance(result, CannotEvaluate), result
    assert result is not False
    assert reason in result.reason
    assert str(result).startswith("cannot evaluate: ")


def test_a_refusal_at_parse_time_names_the_character():
    result = parse('user.department == "Sales" and user.age >= 18')
    assert isinstance(result, CannotEvaluate)
    assert result.position == 'user.department == "Sales" and user.age '.__len__()
    assert "(at character 41)" in str(result)


def test_a_parsed_tree_is_evaluated_for_many_users():
    tree = parse('user.countryCode == "DE" or user.countryCode == "FR"')
    assert not isinstance(tree, CannotEvaluate)
    users = [{"countryCode": c} for c in ("DE", "FR", "US")] + [{}]
    assert [evaluate(tree, u) for u in users] == [True, True, False, False]


def test_offline_rule_refuses_group_ids_even_nested_and_passes_the_rest():
    from ownscim_infra.domain.expression import offline_rule

    refused = offline_rule('user.countryCode == "DE" or not isMemberOfAnyGroup("00g1")')
    assert isinstance(refused, CannotEvaluate) and "Okta id" in refused.reason
    assert not isinstance(offline_rule('String.startsWith(user.title, "VP")'), CannotEvaluate)
    assert isinstance(offline_rule("user.age > 3"), CannotEvaluate)  # outside the subset, as parse says


@pytest.mark.parametrize(
    "expression",
    [
        "(" * 200 + 'user.department == "Sales"' + ")" * 200,  # breaker case c23
        "!" * 1000 + "user.isX",
        "not " * 200 + "user.isX",
        "String.startsWith(" * 100 + ")" * 100,
    ],
)
def test_an_expression_nested_too_deep_cannot_be_evaluated_and_raises_nothing(expression):
    from ownscim_infra.domain.expression import MAX_DEPTH

    for result in (parse(expression), evaluate(expression, {"isX": True, "department": "Sales"})):
        assert isinstance(result, CannotEvaluate), result
        assert f"nested deeper than {MAX_DEPTH} levels" in result.reason


def test_nesting_up_to_the_limit_still_evaluates():
    from ownscim_infra.domain.expression import MAX_DEPTH

    assert evaluate("(" * MAX_DEPTH + 'user.department == "Sales"' + ")" * MAX_DEPTH, BOB) is True
    assert evaluate("!" * MAX_DEPTH + "user.isX", {"isX": True}) is True  # an even number of nots
