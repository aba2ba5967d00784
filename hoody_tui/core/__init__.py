"""The headless core of hoody-tui: what a kind of server can do (:mod:`.backend`), the
workspace service that keeps one server's state and carries out every workflow
(:mod:`.service`), the gate-decision protocol (:mod:`.decisions`) and the event pump
(:mod:`.pump`). No Textual here, and no concrete backend."""
