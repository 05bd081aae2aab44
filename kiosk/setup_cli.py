"""``bianmin setup``: the technician's wizard at a village point (issue 10, "Setup and
diagnostics"; docs/setup.md).

The command builds the wizard's model (:class:`kiosk.setup_wizard.model.SetupModel`: the
configuration file, the devices, the network, the store) and hands it to the Qt pages,
which may not import the roles, the drivers or the store (DESIGN.md §3). Qt is imported
only when the command runs, so ``bianmin --help`` and the station never load it.

Exit codes: 0 the configuration was written (``--screenshot``: every page's PNG saved); 1
the wizard was closed without writing (a PNG could not be saved); 2 it could not run (no
screen).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .display_cli import has_screen

EXIT_ERROR = 2


@click.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="站点配置文件 / The configuration file to read and write "
              "(default: $BIANMIN_CONFIG, else <data dir>/site.toml).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="站点数据目录 / The site's data directory, where enrolment keeps the site's "
              "key (default: $BIANMIN_DATA_DIR, ...).")
@click.option("--screenshot", "screenshot_dir", type=click.Path(file_okay=False,
              path_type=Path), default=None, metavar="DIR",
              help="离屏演示各页并截图后退出 / Play every page off screen with simulated "
              "devices, save one PNG per page in DIR and exit; nothing is written.")
def setup(config_path: Path | None, data_dir: Path | None, screenshot_dir: Path | None) -> None:
    """站点设置向导 / The technician's setup wizard: the site, the county hub and its
    enrolment, each device with a live test, a network check; writes the configuration.

    Run it again to change the configuration: it starts from the existing file.
    """
    if screenshot_dir is None and not has_screen():
        click.echo("没有屏幕 / No screen:\nDISPLAY 和 WAYLAND_DISPLAY 都未设置；在图形桌面中运行，"
                   "或用 --screenshot DIR 离屏截图 / neither DISPLAY nor WAYLAND_DISPLAY is set; "
                   "run it on the desktop, or use --screenshot DIR to render off screen.",
                   err=True)
        sys.exit(EXIT_ERROR)
    if screenshot_dir is not None and not has_screen():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before Qt loads
    from .setup_wizard.model import SetupModel

    model = SetupModel.for_command(config_path, data_dir)
    if model.load_problem:
        click.echo(f"注意：现有配置无法使用，向导从默认值开始 / note: the existing configuration "
                   f"cannot be used, the wizard starts from the defaults:\n{model.load_problem}",
                   err=True)
    # Qt loads here and only here; the layering contract lets this one edge through.
    from .ui.setup.app import run_setup

    try:
        code = run_setup(model, screenshot_dir=screenshot_dir, echo=click.echo)
    finally:
        model.close()
    sys.exit(code)
