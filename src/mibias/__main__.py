"""``python -m mibias``."""

import sys

from mibias.cli import main

sys.exit(main())
