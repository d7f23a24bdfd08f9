"""What the Pulumi CLI checks of a stack's configuration against ``Pulumi.yaml``, emulated.

Source: pulumi/pulumi ``pkg/workspace/config.go`` (``mergeConfig``, ``validateStackConfigValue``;
``sdk/go/common/workspace/config.go`` in older releases), run by ``pulumi preview`` and
``pulumi up`` before the program starts:

- a key of the project's ``config:`` block without a ``namespace:`` prefix belongs to the
  project (``ownscim:KEY``); one in another namespace may not declare ``type`` or ``default``
  (``Project.Validate``: "is not namespaced by the project and should not define a type");
- a project key that the stack does not set, with no ``default`` (and no ``value``), is
  missing: "Stack 'NAME' is missing configuration value 'KEY'";
- a key declared ``secret: true`` must be set as a secret: a plain default cannot be, so a
  stack that relies on it fails ("Stack 'NAME' with configuration key 'KEY' must be encrypted
  as it's secret"), as does a plain value set on the stack.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def config_errors(project: Mapping[str, Any], stack: str, settings: Mapping[str, tuple[Any, bool]]) -> list[str]:
    """The errors the CLI gives for ``settings`` (``{"namespace:key": (value, secure)}``, what
    ``pulumi config set [--secret]`` stored on stack ``stack``) against the parsed
    ``Pulumi.yaml`` ``project``; ``[]`` when the program may run."""
    name = str(project.get("name", ""))
    errors: list[str] = []
    missing: list[str] = []
    for key, declared in (project.get("config") or {}).items():
        spec = declared if isinstance(declared, dict) else {"default": declared}
        namespace, _, bare = key.rpartition(":")
        full = key if namespace else f"{name}:{key}"
        if namespace and namespace != name:
            if "type" in spec or "default" in spec:
                errors.append(
                    f"project config key {key!r} is not namespaced by the project and should not define a type"
                )
            continue
        on_stack = full in settings
        has_default = "default" in spec or "value" in spec
        if not on_stack and not has_default:
            missing.append(bare or key)
            continue
        secure = settings[full][1] if on_stack else False
        if spec.get("secret") and not secure:
            errors.append(f"Stack {stack!r} with configuration key {bare or key!r} must be encrypted as it's secret")
    if missing:
        quoted = [f"'{k}'" for k in missing]
        what = f"value {quoted[0]}" if len(quoted) == 1 else "values " + ", ".join(quoted[:-1]) + f" and {quoted[-1]}"
        errors.insert(0, f"Stack {stack!r} is missing configuration {what}")
    return errors
