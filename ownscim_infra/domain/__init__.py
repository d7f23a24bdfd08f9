"""The project's vocabulary, stdlib only: Own's setup-page facts, the ``regions`` codec,
the resource names, terminal tables.

Every other layer may import this package; it imports nothing of the project and no
third-party library (docs/architecture.md).
"""
