"""The one kind of error every command turns into exit code 2: something the user gave cannot
be used (a config file, a setting, credentials, an address), or the org answered so.

The layers raise their own subclasses (``ConfigError``, ``CredentialsError``, ...);
:func:`ownscim_infra.cli.main` is the one place that prints them (no traceback) and exits 2.
"""

from __future__ import annotations


class InputError(Exception):
    """Bad input: the message says what is wrong and what is allowed, and never holds a secret."""

    #: whether the command's name goes before the message (``simulate: ...``); a
    #: ``ConfigError`` names its file itself
    named: bool = True
