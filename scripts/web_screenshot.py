"""Regenerate screenshots/web.png: `hoody-tui serve --demo` in Debian's Chromium.

    python scripts/web_screenshot.py                 # needs chromium (apt-get install chromium) and playwright

It runs the real command, opens the URL it prints in headless Chromium (launched by its
path: no browser download) and captures the page once the demo's gates are listed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOOK = ROOT / "tests" / "web" / "xterm_hook.js"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots" / "web.png")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--size", default="1000x640", help="the browser window, WIDTHxHEIGHT pixels")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.split("x"))

    from playwright.sync_api import sync_playwright

    serve = subprocess.Popen([sys.executable, "-m", "hoody_tui.cli", "serve", "--demo", "--port", "0", "--no-bell"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    try:
        assert serve.stdout is not None
        url = serve.stdout.readline().strip()
        if not url.startswith("http://"):
            print("web_screenshot: hoody-tui serve printed no URL", file=sys.stderr)
            return 1
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium)
            page = browser.new_page(viewport={"width": width, "height": height})
            page.add_init_script(HOOK.read_text())
            page.goto(url)
            page.wait_for_function("() => /gates [1-9]/.test(window.__screen())", timeout=60_000)
            page.focus(".xterm-helper-textarea")
            page.keyboard.press("4")
            page.wait_for_function("() => window.__screen().includes('Allow once')", timeout=60_000)
            time.sleep(1.0)  # let the scenario's agents show some progress in the status bar
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out))
            browser.close()
        print(args.out)
        return 0
    finally:
        serve.terminate()
        serve.wait(30)


if __name__ == "__main__":
    sys.exit(main())
