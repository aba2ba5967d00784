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
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hoody_tui.demo import start_demo_server  # noqa: E402
from hoody_tui.launch import hoody_app  # noqa: E402


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
    converter = shutil.which("rsvg-convert")
    for path in paths:
        print(path.relative_to(ROOT))
        if converter:
            subprocess.run([converter, str(path), "-o", str(path.with_suffix(".png"))], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
