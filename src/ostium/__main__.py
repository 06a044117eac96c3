"""`python -m ostium` is the `ostium` command."""

import sys

from ostium.cli import main

sys.exit(main())
