"""The backend imports ``engine.spec``; it must not pull in torch."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_import_engine_spec_does_not_import_torch():
    code = "import sys, engine.spec; print(sorted(m for m in sys.modules if m.startswith('torch')))"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
