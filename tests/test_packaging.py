"""An installed wheel carries its Textual CSS and finds it (styles/ lives at the top level)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_styles_and_finds_them(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True,
    )
    (wheel,) = tmp_path.glob("hoody_tui-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    sources = sorted(p.name for p in (ROOT / "styles").glob("*.tcss"))
    assert sources, "no .tcss files in styles/"
    for name in sources:
        assert f"hoody_tui/styles/{name}" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = "from hoody_tui.paths import styles_dir; print(styles_dir())"
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True,
        env={"PYTHONPATH": str(site), "PATH": ""}, cwd=tmp_path,
    ).stdout.strip()
    assert Path(out) == site / "hoody_tui" / "styles"
    assert all((Path(out) / name).is_file() for name in sources)


def test_console_scripts_are_installed_and_run():
    bindir = Path(sys.executable).parent
    for script in ("hoody-tui", "hoody-refserver"):
        result = subprocess.run([str(bindir / script), "--help"], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert "usage:" in result.stdout and script in result.stdout
