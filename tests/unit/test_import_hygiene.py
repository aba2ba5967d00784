"""The core (api, events, store) never imports Textual: it runs headless and is testable alone."""

import subprocess
import sys

CORE = ["hoody_tui.api", "hoody_tui.events", "hoody_tui.store", "hoody_tui.gates.risk", "hoody_tui.gates.ledger", "hoody_tui.gates.rules", "hoody_tui.gates.audit", "hoody_tui.text", "hoody_tui.config", "hoody_tui.diagnostics"]


def test_core_never_imports_textual():
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in CORE)
        + "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        + "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"core imported: {result.stdout}"
