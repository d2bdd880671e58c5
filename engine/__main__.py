"""``python -m engine train SPEC [--seed N] [--out DIR] [--resume]`` (see ``engine.cli``)."""

import sys

from engine.cli import main
from engine.runners import sync_rl
from engine.utils.process import exit_without_finalisation

code = main()
if sync_rl.process_group_started:  # see exit_without_finalisation
    exit_without_finalisation(code)
sys.exit(code)
