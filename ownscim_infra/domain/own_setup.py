"""Own's setup page ("Set Up Okta SCIM Provisioning"), as the constants every part shares.

Stdlib only, so that the receiver can import it without loading Pulumi. Source: the setup
page in ``shared/seeds`` and ``shared/docs/okta-own-facts.md``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

#: Okta's catalog name of *SCIM 2.0 Test App (Header Auth)*, the app the page adds.
CATALOG_APP = "scim2headerauth"
#: The Okta app feature that holds the provisioning settings.
FEATURE = "USER_PROVISIONING"
#: Own's provisioning settings: Create Users and Deactivate Users only; Update User
#: Attributes (``profile``) is unsupported, and Own takes no passwords. Keys are the
#: capability names of ``PUT /api/v1/apps/{appId}/features/USER_PROVISIONING``.
OWN_CAPABILITIES = {
    "lifecycleCreate": "ENABLED",
    "lifecycleDeactivate": "ENABLED",
    "profile": "DISABLED",
    "password": "DISABLED",
}
#: The Admin Console's label of each capability of :data:`OWN_CAPABILITIES` (Provisioning > To App).
CAPABILITY_LABELS = {
    "lifecycleCreate": "Create Users",
    "lifecycleDeactivate": "Deactivate Users",
    "profile": "Update User Attributes",
    "password": "Sync Password",
}
#: Where each capability of :data:`OWN_CAPABILITIES` sits in the feature's ``capabilities``.
_CAPABILITY_PATHS = {
    "lifecycleCreate": ("create", "lifecycleCreate"),
    "lifecycleDeactivate": ("update", "lifecycleDeactivate"),
    "profile": ("update", "profile"),
    "password": ("update", "password"),
}


def capability_statuses(capabilities: Any) -> dict[str, str | None]:
    """The ``status`` of each capability (keys of :data:`OWN_CAPABILITIES`) in a
    ``USER_PROVISIONING`` ``capabilities`` object, as Okta's API and the okta provider shape
    it (``{"create": {"lifecycleCreate": {"status": ...}}, "update": {...}}``); ``None``
    where one is absent."""
    result: dict[str, str | None] = {}
    for name, path in _CAPABILITY_PATHS.items():
        node = capabilities
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        result[name] = node.get("status") if isinstance(node, dict) else None
    return result


#: The app profile attribute: display name, variable name and external name.
REGIONS_ATTRIBUTE = "regions"
#: Its external namespace, exactly as the page gives it (no ``:User`` suffix). A wrong
#: namespace makes Okta send the value where Own does not read it: every user then lands
#: in all regions.
REGIONS_NAMESPACE = "urn:ietf:params:scim:schemas:core:2.0"
#: The business unit every SCIM user is created in; renaming or deleting it in Own makes
#: provisioning fail.
DEFAULT_BUSINESS_UNIT = "Default Business Unit"
#: The role every SCIM-created user gets (changed later in Own's UI, never through SCIM).
READ_ONLY_ROLE = "Read-only"

#: The exact Admin Console steps for ``provisioning: manual`` (and for ``verify``'s
#: ``UNKNOWN`` finding). ``{label}`` and ``{base_url}`` are filled in; the token is never printed.
MANUAL_STEPS = (
    "Okta Admin Console > Applications > {label} > Provisioning > Integration > Edit:",
    "  Base URL: {base_url}",
    "  API Token: the SCIM token from Own (Manage > Security > SCIM Provisioning)",
    "  Test API Credentials, then Save.",
    "Provisioning > To App > Edit:",
    "  Create Users: enabled",
    "  Update User Attributes: disabled (Own does not support it)",
    "  Deactivate Users: enabled",
    "  Sync Password: disabled",
    "  Save. Do not enable Push Groups (Own does not support it).",
)
#: What manual mode asks for before it declares the attribute and the assignments.
MANUAL_CONFIRM = (
    "Then set app.manual_steps_done: true in the config and run `pulumi up` again: the "
    "regions attribute and the assignments are declared only once provisioning is on."
)


def manual_steps(label: str, base_url: str) -> list[str]:
    """The Admin Console steps that set up provisioning by hand, one line each
    (:data:`MANUAL_STEPS` with the app's ``label`` and Own's SCIM ``base_url``)."""
    return [line.format(label=label, base_url=base_url) for line in MANUAL_STEPS]


def okta_fold(value: str) -> str:
    """How Okta compares logins and group names: case-insensitively, by simple lower-casing
    of the NFC form (so ``ß`` and ``SS`` differ). The receiver's ``userName`` matching uses
    the same rule."""
    if value.isascii():  # NFC leaves ASCII as it is: the same answer, without the normalisation
        return value.strip().lower()
    return unicodedata.normalize("NFC", value.strip()).lower()


_REGION_CODE = re.compile(r"^[a-z][a-z0-9]*$")


def region_code(value: object) -> str:
    """Normalize one Own region code: ``" EMEA2 "`` -> ``"emea2"``.

    Own publishes no full list (codes seen: us1, useast2, emea2, uk1, ca1, au1, ...), so the
    rule is the shape only: a letter, then letters or digits.

    :raises ValueError: not a string, or not of that shape (the message says what is allowed).
    """
    if not isinstance(value, str):
        raise ValueError("a region code is a string such as 'us1' or 'emea2'")
    code = value.strip().lower()
    if not _REGION_CODE.match(code):
        raise ValueError("a region code is letters then letters/digits, such as 'us1' or 'emea2'")
    return code
