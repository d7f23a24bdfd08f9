"""The JSON schemas shipped for editors (issue 12): generated from the models, committed,
referenced from the examples, and in agreement with the models and config/README.md."""

from __future__ import annotations

import re
import typing
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pydantic import BaseModel

from ownscim_infra.config import OwnScimConfig
from ownscim_infra.config.directory import Directory
from ownscim_infra.config.schema import SCHEMAS, render
from ownscim_infra.config.yaml_reader import read_yaml
from tests.conftest import REPO

CONFIG_DIR = REPO / "config"
README = CONFIG_DIR / "README.md"
#: schema file -> (example that references it, README section that documents it)
FILES = {
    "ownscim.schema.json": ("example.yaml", "# Config reference"),
    "ownscim-directory.schema.json": ("example-directory.yaml", "## The directory file"),
}


def schema(name: str) -> dict[str, Any]:
    return SCHEMAS[name]()


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_committed_schema_is_the_generated_one(name):
    committed = (CONFIG_DIR / name).read_text(encoding="utf-8")
    assert committed == render(schema(name)), (
        f"config/{name} is out of date: run `.venv/bin/python -m ownscim_infra.config.schema`"
    )


@pytest.mark.parametrize("name", sorted(FILES))
def test_examples_reference_their_schema_and_validate_against_it(name):
    example = CONFIG_DIR / FILES[name][0]
    assert example.read_text().splitlines()[0] == f"# yaml-language-server: $schema=./{name}"
    Draft202012Validator.check_schema(schema(name))
    validator = Draft202012Validator(schema(name))
    assert list(validator.iter_errors(read_yaml(example))) == []


def test_schema_catches_what_an_editor_should_flag():
    validator = Draft202012Validator(schema("ownscim.schema.json"))
    data = read_yaml(CONFIG_DIR / "example.yaml")
    data["groups"][0]["descripton"] = "typo"
    data["app"]["provisioning"] = "automatic"
    data["regions"] = "us1, emea-2"
    messages = sorted(e.message for e in validator.iter_errors(data))
    assert len(messages) == 3
    assert any("descripton" in m for m in messages) and any("automatic" in m for m in messages)


@pytest.mark.parametrize("model", [OwnScimConfig, Directory])
def test_every_model_field_has_a_description(model):
    todo, seen = [model], set()
    while todo:
        m = todo.pop()
        seen.add(m)
        for name, f in m.model_fields.items():
            assert f.description and len(f.description) > 10, f"{m.__name__}.{name} has no description"
            for arg in _annotation_models(f.annotation):
                if arg not in seen:
                    todo.append(arg)
    assert len(seen) >= 2


def _annotation_models(annotation: Any) -> list[type[BaseModel]]:
    out, todo = [], [annotation]
    while todo:
        a = todo.pop()
        if isinstance(a, type) and issubclass(a, BaseModel):
            out.append(a)
        todo += list(typing.get_args(a))
    return out


def _properties(node: dict[str, Any], defs: dict[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    """Every property of the schema by README key (``groups[i].name``), with ``required``."""
    if "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[1]]
    out: dict[str, dict[str, Any]] = {}
    for key, prop in node.get("properties", {}).items():
        path = f"{prefix}{key}"
        out[path] = {**prop, "required": key in node.get("required", [])}
        target = prop
        if "$ref" in target:
            out[path]["object"] = True
            out.update(_properties(target, defs, path + "."))
        elif target.get("type") == "array" and "$ref" in target.get("items", {}):
            out.update(_properties(target["items"], defs, path + "[i]."))
    return out


def _readme_rows(section: str) -> dict[str, tuple[str, str]]:
    text = README.read_text()
    start = text.index(section)
    rows = {}
    for line in text[start:].splitlines()[1:]:
        if line.startswith("#"):
            break
        m = re.match(r"^\| `([^`]+)` \| (.*?) \| (.*?) \| ", line)
        if m:
            rows[m.group(1)] = (m.group(2), m.group(3))
    return rows


def _readme_default(cell: str) -> Any:
    literal = {
        "`Own`": "Own",
        "`api`": "api",
        "`manual`": "manual",
        "`false`": False,
        "`true`": True,
        "`[]`": [],
        "`{}`": {},
    }
    return literal.get(cell.split(" ")[0], "not a literal")


@pytest.mark.parametrize("name", sorted(FILES))
def test_readme_documents_every_key_of_the_schema_and_no_other(name):
    s = schema(name)
    props = _properties(s, s.get("$defs", {}))
    rows = _readme_rows(FILES[name][1])
    assert set(rows) <= set(props), f"README keys not in the schema: {set(rows) - set(props)}"
    undocumented = {k for k, p in props.items() if not p.get("object")} - set(rows)
    assert not undocumented, f"schema keys missing from config/README.md: {undocumented}"
    for key, (_type, default) in rows.items():
        prop = props[key]
        assert prop["description"], key
        assert default.startswith("required") == prop["required"], key
        if default.startswith("`"):
            assert prop.get("default") == _readme_default(default), key
        elif default.startswith(("none", "the name")):  # `key`: derived from the name when absent
            assert prop.get("default") is None and not prop["required"], key


@pytest.mark.parametrize("written", [None, []])
def test_schema_refuses_a_persons_regions_written_empty_as_the_model_does(written):
    validator = Draft202012Validator(schema("ownscim.schema.json"))
    data = read_yaml(CONFIG_DIR / "example.yaml")
    data["people"][0]["regions"] = written
    assert len(list(validator.iter_errors(data))) == 1
    del data["people"][0]["regions"]  # omitted: all regions
    assert list(validator.iter_errors(data)) == []
