"""``python -m ownscim_infra <command>``: see :mod:`ownscim_infra.cli`."""

import sys

from ownscim_infra.cli import main

sys.exit(main())
