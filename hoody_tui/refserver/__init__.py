"""The hoody-agent reference server: a faithful, independent implementation of the API
contract (``shared/api-contract.md``) with a seeded scenario engine, for the demo, the
client tests and the benchmarks.

Modules:

- :mod:`.config` options (``ServerConfig``) and runtime faults (``Faults``)
- :mod:`.runner` ``start_in_thread`` / ``RunningServer`` / ``serve``; :mod:`.cli` the CLI
- :mod:`.app` the Starlette app and its guard middleware; :mod:`.routes` the handlers
- :mod:`.state` the workspace; :mod:`.gates`, :mod:`.jobs`, :mod:`.agent`, :mod:`.loops`
  the engines acting on it; :mod:`.bus` the event bus; :mod:`.streams`/:mod:`.sse` SSE
- :mod:`.scenario`, :mod:`.content`, :mod:`.script`, :mod:`.catalog` what happens in it
- :mod:`.firehose` the benchmark event source; :mod:`.rules` permission rule evaluation
- :mod:`.ids`, :mod:`.clock`, :mod:`.errors` small building blocks
- :mod:`.gateway` the second flavour: the in-container gateway ``hoody-agent-d`` (§2),
  ``start_gateway_in_thread`` / ``RunningGateway``; ``hoody-refserver --flavor gateway``

It never imports the client packages (``hoody_tui.api``, ``hoody_tui.events``).
"""

from .config import Faults, ServerConfig
from .gateway import RunningGateway, start_gateway_in_thread
from .runner import RunningServer, serve, start_in_thread

__all__ = ["ServerConfig", "Faults", "RunningServer", "start_in_thread", "serve", "RunningGateway",
           "start_gateway_in_thread"]
