"""``bianmin setup``'s model: the technician's answers, their checks, and the configuration
file they become (docs/setup.md). No Qt here.

- :mod:`.ports`: the plain data and the protocol the Qt wizard (``kiosk.ui.setup``) sees. It
  imports nothing of ``devices``, ``drivers`` or the store, so the screens may import it
  (DESIGN.md §3); everything else in this package is handed to them built, by the command.
- :mod:`.config_file`: answers to and from a :class:`~kiosk.config.SiteConfig`, the file
  written with only what differs from the defaults.
- :mod:`.device_tests`: one live test per device role, each a plain call with a timeout.
- :mod:`.county`: the network check and the enrolment with the county hub.
- :mod:`.model`: :class:`~.model.SetupModel`, all of it behind the one object the wizard
  gets.

This module imports nothing, so that importing :mod:`.ports` stays light.
"""
