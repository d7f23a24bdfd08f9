"""Reading a live Okta org, read-only, through the ``okta`` SDK: :mod:`.okta_api` (the
reader), :mod:`.verify` (drift against the config), :mod:`.adopt` (Pulumi's import file for
an app set up by hand). It never imports Pulumi (docs/architecture.md).
"""
