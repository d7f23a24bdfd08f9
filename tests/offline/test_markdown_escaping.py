"""Hostile names in the pull-request Markdown (issue 10): Markdown's inline syntax is
escaped in every table cell, and a Mermaid label cannot close itself, carry a directive or
end the code fence. The escaping lives in ownscim_infra.domain.markdown (a review report
reuses it); the plan is checked end to end."""

from __future__ import annotations

import pytest
import yaml

from ownscim_infra.config.directory import load_directory
from ownscim_infra.domain import markdown
from ownscim_infra.offline.plan import build_plan, render_markdown
from tests.conftest import REPO, example_data

HOSTILE = {
    "link": "[Click me](https://evil.example/login)",
    "image": "![x](https://evil.example/pixel.png)",
    "emphasis": "**urgent** _now_ ~~gone~~",
    "code": "`rm -rf` ``x``",
    "html": "<img src=x onerror=alert(1)>",
    "autolink": "<https://evil.example>",
    "footnote": "[^1]",
    "directive": '%%{init: {"theme": "dark", "themeVariables": {"lineColor": "#ffffff00"}}}%%',
    "fence": "``` end of the diagram",
}


@pytest.fixture(scope="module")
def hostile_markdown(tmp_path_factory) -> str:
    data = example_data()
    data["groups"] = [{"name": name, "regions": ["us1"]} for name in HOSTILE.values()]
    data["people"] = [{"login": "*ann*@example.com"}]
    path = tmp_path_factory.mktemp("md") / "hostile.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return render_markdown(build_plan(path))


def test_every_group_cell_is_literal_text(hostile_markdown):
    cells = {
        "link": "[Click me\\](https://evil.example/login)",
        "image": "![x\\](https://evil.example/pixel.png)",
        "emphasis": "\\*\\*urgent\\*\\* \\_now\\_ \\~\\~gone\\~\\~",
        "code": "\\`rm -rf\\` \\`\\`x\\`\\`",
        "html": "&lt;img src=x onerror=alert(1)&gt;",
        "autolink": "&lt;https://evil.example&gt;",
        "footnote": "\\[^1]",
        "directive": '%%{init: {"theme": "dark", "themeVariables": {"lineColor": "#ffffff00"}}}%%',
        "fence": "\\`\\`\\` end of the diagram",
    }
    for priority, name in enumerate(HOSTILE, start=1):  # the first group is priority 1
        assert f"| {priority} | {cells[name]} | created | us1 |" in hostile_markdown, name


def test_people_cells_are_escaped_too(hostile_markdown):
    assert "| \\*ann\\*@example.com | all regions (us1, emea2, uk1) |" in hostile_markdown


def test_mermaid_labels_carry_no_directive_quote_or_fence(hostile_markdown):
    diagram = hostile_markdown.split("```mermaid\n", 1)[1].split("\n```\n", 1)[0]
    assert "%%" not in diagram and "{" not in diagram and "`" not in diagram
    directive = list(HOSTILE).index("directive")
    assert (
        f'  g{directive}["{directive + 1}: #37;#37;#123;init: #123;#quot;theme#quot;: #quot;dark#quot;, '
        '#quot;themeVariables#quot;: #123;#quot;lineColor#quot;: #quot;#35;ffffff00#quot;#125;#125;#125;#37;#37;"]'
    ) in diagram
    fence = list(HOSTILE).index("fence")
    assert f'  g{fence}["{fence + 1}: #96;#96;#96; end of the diagram"]' in diagram
    # every node line is one quoted label: nothing a name wrote closes it
    for line in diagram.splitlines()[1:]:
        assert line.startswith("  r_") or line.count('"') in (0, 2)


def test_the_example_names_are_unchanged():
    assert markdown.cell("USER_PROVISIONING") == "USER_PROVISIONING"
    assert markdown.cell("token [secret]") == "token [secret]"
    assert markdown.cell("own-scim-user-dana.lee@example.com") == "own-scim-user-dana.lee@example.com"
    assert markdown.cell("scim2headerauth (SCIM 2.0 Test App (Header Auth)), ACTIVE") == (
        "scim2headerauth (SCIM 2.0 Test App (Header Auth)), ACTIVE"
    )


def test_inline_escapes_what_would_start_markup():
    assert markdown.inline("_a_ a_b *c* \\ x") == "\\_a\\_ a_b \\*c\\* \\\\ x"
    assert markdown.inline("[t][ref] [t](u)") == "[t\\][ref] [t\\](u)"
    assert markdown.cell("a | b\nc") == "a \\| b c"


def test_code_span_cannot_be_closed_by_the_text():
    assert markdown.code("config/a.yaml") == "`config/a.yaml`"
    assert markdown.code("a`b``c") == "```a`b``c```"
    assert markdown.code("`x") == "`` `x ``"


def test_mermaid_label_encodes_every_special_character():
    assert markdown.mermaid_label("a\"b'c`d%e{f}g#h<i>j&k") == (
        "a#quot;b#39;c#96;d#37;e#123;f#125;g#35;h#lt;i#gt;j#amp;k"
    )


def test_prose_keeps_our_code_spans_and_escapes_the_rest():
    # a warning read "removing them from \`people\`": our own code spans showed their backticks
    assert markdown.prose("removing them from `people`") == "removing them from `people`"
    assert markdown.prose("[x](http://a) *b* <i> `c|d` e|f") == "[x\\](http://a) \\*b\\* &lt;i&gt; `c|d` e\\|f"
    assert markdown.prose("an odd ` alone") == "an odd \\` alone"  # no pair: escaped, literal


def test_warnings_in_the_plan_show_code_spans(tmp_path):
    data = example_data()
    data["people"].append({"login": "dana.lee@example.com".replace("dana", "dan*a"), "regions": ["us1"]})
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    md = render_markdown(build_plan(path, directory=load_directory(REPO / "config" / "example-directory.yaml")))
    warnings = md.split("### Warnings", 1)[1].split("###", 1)[0]
    assert "\\`" not in warnings and "`people`" in warnings, warnings
    assert "dan\\*a.lee@example.com" in warnings
