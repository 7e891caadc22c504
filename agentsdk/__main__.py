"""`python -m agentsdk` is the `agentsdk` command."""

import sys

from agentsdk.cli import main

sys.exit(main())
