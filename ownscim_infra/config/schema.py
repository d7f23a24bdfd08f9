"""The JSON schemas of the config and of the directory file, generated from the models.

Editors that read a ``# yaml-language-server: $schema=...`` comment (VS Code's YAML
extension, the YAML language server in other editors) then validate and complete the files
as they are written. The schemas are committed next to the examples
(``config/ownscim.schema.json``, ``config/ownscim-directory.schema.json``) and
``tests/config/test_schema.py`` checks that they are what this module generates, and that
they agree with ``config/README.md``. Regenerate them after changing a model::

    .venv/bin/python -m ownscim_infra.config.schema

The schema is a guide for editors: :func:`~ownscim_infra.config.load_config` remains the
validation (regions declared, duplicates, look-alike names, secrets).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ownscim_infra.config.directory import Directory
from ownscim_infra.config.models import OwnScimConfig

#: The JSON Schema dialect pydantic generates.
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _schema(model: type[BaseModel], title: str, description: str) -> dict[str, Any]:
    schema = model.model_json_schema(mode="validation")
    return {"$schema": DIALECT, **schema, "title": title, "description": description}


def config_schema() -> dict[str, Any]:
    """The schema of a config file (:class:`~ownscim_infra.config.models.OwnScimConfig`);
    top-level ``x-...`` keys are allowed (they hold YAML anchors for merge keys)."""
    schema = _schema(
        OwnScimConfig,
        "ownscim-infra config",
        "One Okta org's Own SCIM provisioning: the app, the Own account's regions, the groups in priority order "
        "and the people assigned directly. Every key: config/README.md.",
    )
    schema["patternProperties"] = {"^x-": {"description": "Not a setting: a place for YAML anchors (<<: *name)."}}
    return schema


def directory_schema() -> dict[str, Any]:
    """The schema of a directory file (:class:`~ownscim_infra.config.directory.Directory`)."""
    return _schema(
        Directory,
        "ownscim-infra directory",
        "The Okta users and their groups that `simulate`, `review` and `plan --directory` read. Every key: "
        "config/README.md.",
    )


#: File name (in ``config/``) -> the function that generates it.
SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "ownscim.schema.json": config_schema,
    "ownscim-directory.schema.json": directory_schema,
}


def render(schema: dict[str, Any]) -> str:
    """The file's text: two-space indent, keys in the models' order, a final newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write(directory: str | Path) -> list[Path]:
    """Write every schema of :data:`SCHEMAS` into ``directory``; returns the paths."""
    paths = []
    for name, generate in SCHEMAS.items():
        path = Path(directory) / name
        path.write_text(render(generate()), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write(sys.argv[1] if len(sys.argv) > 1 else "config"):
        print(written)
