"""`python -m agentsdk.cli` is the `agentsdk` command too."""

import sys

from agentsdk.cli import main

sys.exit(main())
