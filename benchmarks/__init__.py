"""Performance benchmarks of hoody-tui against the bundled reference server.

Run ``python -m benchmarks`` (``--quick``, ``--json``, ``--only NAME[,NAME]``). Every
measurement starts and stops its own server on 127.0.0.1; see ``RESULTS.md``.
"""
