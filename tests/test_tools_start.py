"""The benchmarks and the training scripts start: each imports only what the package has now.

They run outside the suite (minutes to hours), so a renamed or moved name would otherwise
break them unseen: `--help` imports everything and parses the arguments, nothing more.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# real_pretraining.py is a library of train_shipped_weights.py: starting that imports it.
SCRIPTS = ("add_real_labels", "compare_networks", "train_shipped_weights")
TOOLS = sorted(ROOT.glob("bench/bench_*.py")) + [ROOT / "scripts" / f"{s}.py" for s in SCRIPTS]


@pytest.mark.parametrize("tool", TOOLS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_tool_starts(tool: Path) -> None:
    pytest.importorskip("torch", reason="the model extra is not installed")
    done = subprocess.run(
        [sys.executable, str(tool), "--help"], capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage:" in done.stdout
