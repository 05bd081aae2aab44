"""``bianmin hub staff-add``: a county staff account for the hub's web pages (``/staff/``).

The password is never an argument: it would stay in the shell's history and in ``ps`` for
everyone on the PC to read. It is asked for twice on the terminal, or read as one line from
standard input (``--password-stdin``, for scripts). Exit codes: 0 done; 2 the command could not
do its job (a refused name or password, settings or database that cannot be used).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click


def _plain_exit(title: str, detail: str) -> None:
    click.echo(f"{title}\n{detail}", err=True)
    sys.exit(2)


@click.command("staff-add")
@click.option("--data-dir", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="中心数据目录 / The hub's data directory (as for bianmin hub).")
@click.option("--user", required=True,
              help="用户名 / The user name: 1-32 letters, digits, . _ -.")
@click.option("--database", "database_url", default=None,
              help="中心数据库 / The hub's database URL (postgresql+psycopg://...); default: "
                   "hub.toml's, else SQLite at <data-dir>/hub.sqlite.")
@click.option("--password-stdin", is_flag=True,
              help="从标准输入读一行密码，不提示 / Read the password as one line from standard "
                   "input instead of asking twice.")
def staff_add(data_dir: Path, user: str, database_url: str | None,
              password_stdin: bool) -> None:
    """添加县级工作人员账号 / Add a staff account for the hub's pages, or give an existing
    one a new password (which also lifts a lock-out)."""
    import sqlalchemy as sa

    from sync.hub.db import DatabaseError
    from sync.hub.runtime import Hub
    from sync.hub.settings import SettingsError
    from sync.hub.staff import accounts

    try:
        accounts.check_user(user)
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt(f"密码 / Password (at least {accounts.MIN_PASSWORD} "
                                    f"characters)", hide_input=True,
                                    confirmation_prompt=True, err=True)
        accounts.check_password(password)
    except accounts.StaffError as exc:
        _plain_exit("账号不符合要求 / The account is refused:", str(exc))
    try:
        hub = Hub.open(data_dir, database_url=database_url, clock=time.time)
    except (SettingsError, DatabaseError) as exc:
        _plain_exit("无法打开中心数据库 / Cannot open the hub's database:", str(exc))
    except sa.exc.SQLAlchemyError as exc:
        # the driver's message may carry the connection string: its kind only
        _plain_exit("无法打开中心数据库 / Cannot open the hub's database:",
                    f"{type(exc).__name__}: 请检查 --database 或 hub.toml / check --database "
                    f"or hub.toml")
    try:
        made = accounts.set_password(hub.db, user, password, hub.clock())
    except sa.exc.SQLAlchemyError as exc:
        _plain_exit("无法保存账号 / Cannot save the account:", type(exc).__name__)
    finally:
        hub.close()
    if made:
        click.echo(f"已添加 / Added: {user}")
    else:
        click.echo(f"已更换密码，锁定已解除 / Password replaced, any lock-out lifted: {user}")
