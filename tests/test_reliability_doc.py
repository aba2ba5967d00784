"""docs/reliability.md names a test for every fault: each one it names must exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_test_the_reliability_table_names_exists():
    doc = (ROOT / "docs" / "reliability.md").read_text()
    named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)", doc)
    assert len(named) > 50
    missing = []
    for path, name in named:
        source = (ROOT / path).read_text() if (ROOT / path).exists() else ""
        if not re.search(rf"^(async )?def {name}\(", source, re.M):
            missing.append(f"{path}::{name}")
    assert not missing, missing
