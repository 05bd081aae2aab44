"""The queue engine's rules, with no I/O and no Qt (issue 6): the service day and ticket
numbers (:mod:`.numbering`), who is entitled to priority (:mod:`.priority`) and whose turn it
is at a window (:mod:`.ordering`). The station keeps the state in the site store and applies
these rules to it."""
