"""`python -m evals run|score|compare|gold-from-feedback`: see evals/run.py and evals/README.md."""

from __future__ import annotations

import sys

from evals.run import main

sys.exit(main())
