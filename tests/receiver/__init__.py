"""Receiver tests (a package: helpers in conftest are imported relatively, and test module
names may clash with other suites)."""
