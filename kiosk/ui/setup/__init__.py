"""``bianmin setup``: the technician's wizard at a village point (docs/setup.md).

Five pages (site, county, devices, network, summary) over a
:class:`kiosk.setup_wizard.ports.SetupPort`, which the command builds: the pages never touch
a device, the network or the file themselves, and every blocking call runs on the runner
(kiosk/ui/runner.py), off the GUI thread.
"""
