"""`python -m hallcall …` is the `hallcall` command."""
import sys

from hallcall.server.cli import main

sys.exit(main())
