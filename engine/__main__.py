"""``python -m engine train SPEC [--seed N] [--out DIR] [--resume]`` (see ``engine.cli``)."""

import sys

from engine.cli import main

sys.exit(main())
