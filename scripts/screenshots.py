"""Regenerate screenshots/*.svg from the real app driving the bundled demo server.

    python scripts/screenshots.py            # 120x36, dark theme
    python scripts/screenshots.py --light    # also the light theme

The server runs the seeded demo scenario; the app connects to it over real HTTP/SSE
exactly as `hoody-tui --demo` does, and each view is captured once it shows data.
The status bar says "demo" rather than a host and port.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hoody_tui.backends import Connection  # noqa: E402
from hoody_tui.demo import start_demo_server  # noqa: E402
from hoody_tui.launch import hoody_app, inbox_app  # noqa: E402


async def capture(theme: str, out: Path, size: tuple[int, int], settle: float) -> list[Path]:
    server = start_demo_server(seed=1)
    written: list[Path] = []
    try:
        app = hoody_app(server.url, server.workspace, server_label="demo", theme=theme, bell=False,
                        gate_notices=False, audit_log=None)
        async with app.run_test(size=size) as pilot:
            # Let the scenario run until sessions, a stream and a gate are there to show.
            for _ in range(int(settle * 10)):
                await asyncio.sleep(0.1)
                if app.store.sessions and (app.store.permissions or app.store.questions):
                    break
            await asyncio.sleep(settle)
            suffix = "" if theme == "textual-dark" else "-light"

            def shot(name: str) -> None:
                path = out / f"{name}{suffix}.svg"
                app.save_screenshot(str(path))
                written.append(path)

            shot("sessions")
            busy = next((sid for sid, st in app.store.statuses.items() if st.type == "busy"), None)
            if busy:
                app.open_stream(busy)
            else:
                await pilot.press("enter")
            await asyncio.sleep(settle)
            shot("stream")
            await pilot.press("3")
            await pilot.pause()
            shot("jobs")
            await pilot.press("4")
            await asyncio.sleep(0.5)
            shot("gates")
    finally:
        server.stop()
    return written


async def capture_inbox(out: Path, size: tuple[int, int], settle: float) -> list[Path]:
    """The merged queue and the grouped sessions of two demo servers, "work" and "laptop"."""
    servers = [start_demo_server(seed=1), start_demo_server(seed=2)]
    written: list[Path] = []
    try:
        app = inbox_app([Connection(s.url, s.workspace, backend="hoody", label=name)
                         for name, s in zip(("work", "laptop"), servers, strict=True)],
                        bell=False, gate_notices=False)
        async with app.run_test(size=size) as pilot:
            for _ in range(int(settle * 10)):
                await asyncio.sleep(0.1)
                if all(source.store.permissions or source.store.questions for source in app.inbox):
                    break
            await asyncio.sleep(settle)
            for name, key in (("inbox-sessions", "1"), ("inbox-gates", "4")):
                await pilot.press(key)
                await asyncio.sleep(0.5)
                path = out / f"{name}.svg"
                app.save_screenshot(str(path))
                written.append(path)
    finally:
        for server in servers:
            server.stop()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--light", action="store_true", help="also capture the light theme")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds to let the demo run before each capture")
    args = parser.parse_args()
    out = ROOT / "screenshots"
    out.mkdir(exist_ok=True)
    themes = ["textual-dark"] + (["textual-light"] if args.light else [])
    paths: list[Path] = []
    for theme in themes:
        paths += asyncio.run(capture(theme, out, (120, 36), args.settle))
    paths += asyncio.run(capture_inbox(out, (120, 36), args.settle))
    for path in paths:
        print(path.relative_to(ROOT))
        to_png(path)
    return 0


def to_png(svg: Path) -> None:
    """A PNG of ``svg`` as a browser draws it (Chromium, headless), else rsvg-convert's.

    rsvg-convert drops the no-break spaces a Textual SVG starts a styled run with: the
    selected row and indented lines were drawn one column to the left in its PNGs,
    where a browser (and the terminal) has them aligned."""
    png = svg.with_suffix(".png")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium:
        width, height = _svg_size(svg)
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                            "--disable-background-networking", "--disable-component-update", "--disable-sync",
                            f"--user-data-dir={profile}", f"--screenshot={png}", f"--window-size={width},{height}",
                            "--hide-scrollbars", "--default-background-color=00000000", svg.resolve().as_uri()],
                           check=True, capture_output=True, timeout=120)
        return
    converter = shutil.which("rsvg-convert")
    if converter:
        subprocess.run([converter, str(svg), "-o", str(png)], check=True)


def _svg_size(svg: Path) -> tuple[int, int]:
    head = svg.read_text(encoding="utf-8")[:2000]
    match = re.search(r'viewBox="0 0 ([0-9.]+) ([0-9.]+)"', head)
    return (round(float(match.group(1))), round(float(match.group(2)))) if match else (1500, 950)


if __name__ == "__main__":
    sys.exit(main())
