"""``python -m lrcore ...``: the command line of :mod:`lrcore.cli`."""

from lrcore.cli import main

raise SystemExit(main())
