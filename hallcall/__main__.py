"""`python -m hallcall …` is the `hallcall` command."""
import sys

from hallcall.cli import main

sys.exit(main())
