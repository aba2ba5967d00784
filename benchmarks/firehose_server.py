"""The firehose reference server in a process of its own, for the intake figures.

A real hoody-agent server is another process (usually another machine): run in a thread
of the measured process, the server's own work shared the GIL with the consumer and
capped every intake figure at what one core could do for both. Here it gets its own
core, so ``floor_eps`` is what a raw consumer can take and the other figures are read
against that.

Protocol: prints one JSON line ``{"url", "workspace", "prefix"}`` when listening; then
answers one line per command on stdin:

- ``dropped``: the number of subscribers the server dropped for falling behind;
- ``session TITLE``: creates a session, answers its id;
- ``gate SESSION N``: raises a permission (``echo N``) on it, answers its request id;
- ``replies``: a JSON object, each reply's request id to the ``time.monotonic()`` values
  at which it was received (one clock for every process of the machine, so the key
  pressed in the measuring process and the reply here are read on the same clock).

End of stdin stops it.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from hoody_tui.refserver import start_in_thread


def main() -> None:
    rate, sessions, buffer = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    faults = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}  # e.g. {"malformed_every": 500}
    server = start_in_thread(scenario="none", firehose=rate, firehose_sessions=sessions,
                             subscriber_buffer=buffer, event_ids=True, **faults)
    received: dict[str, list[float]] = {}

    def patch() -> None:
        ws = server.state
        original = ws.log_reply

        def log_reply(kind: str, request_id: str, body: Any, status: int) -> None:
            received.setdefault(request_id, []).append(time.monotonic())
            original(kind, request_id, body, status)

        ws.log_reply = log_reply  # type: ignore[method-assign]  # timed, then logged as before

    server.call(patch)
    print(json.dumps({"url": server.url, "workspace": server.workspace, "prefix": server.prefix}), flush=True)
    try:
        for line in sys.stdin:
            command, _, rest = line.strip().partition(" ")
            if command == "dropped":
                print(server.call(lambda: server.state.bus.dropped_subscribers), flush=True)
            elif command == "session":
                print(server.call(server.state.create_session, rest)["id"], flush=True)
            elif command == "gate":
                sid, n = rest.split()
                print(server.call(server.state.raise_permission, sid, "bash", [f"echo {n}"], [],
                                  {"command": f"echo {n}"})["id"], flush=True)
            elif command == "replies":
                print(json.dumps(server.call(lambda: {k: list(v) for k, v in received.items()})), flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
