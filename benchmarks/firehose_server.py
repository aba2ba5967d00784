"""The firehose reference server in a process of its own, for the intake figures.

A real hoody-agent server is another process (usually another machine): run in a thread
of the measured process, the server's own work shared the GIL with the consumer and
capped every intake figure at what one core could do for both. Here it gets its own
core, so ``floor_eps`` is what a raw consumer can take and the other figures are read
against that.

Protocol: prints one JSON line ``{"url", "workspace", "prefix"}`` when listening; each
line ``dropped`` on stdin is answered with the number of subscribers the server dropped
for falling behind; end of stdin stops it.
"""

from __future__ import annotations

import json
import sys

from hoody_tui.refserver import start_in_thread


def main() -> None:
    rate, sessions, buffer = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    faults = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}  # e.g. {"malformed_every": 500}
    server = start_in_thread(scenario="none", firehose=rate, firehose_sessions=sessions,
                             subscriber_buffer=buffer, event_ids=True, **faults)
    print(json.dumps({"url": server.url, "workspace": server.workspace, "prefix": server.prefix}), flush=True)
    try:
        for line in sys.stdin:
            if line.strip() == "dropped":
                print(server.call(lambda: server.state.bus.dropped_subscribers), flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
