"""``bianmin hub staff-add``: the account is made in the hub's database with the password
read twice from the terminal or once from stdin, never from an argument; refusals exit 2 in
plain words."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.hub_staff_cli import staff_add
from sync.hub.runtime import Hub
from sync.hub.staff import accounts


def _hub(data_dir: Path) -> Hub:
    return Hub.open(data_dir, clock=lambda: 1_795_485_600.0)


def test_an_account_is_added_then_its_password_replaced(tmp_path: Path) -> None:
    runner = CliRunner()
    added = runner.invoke(staff_add, ["--data-dir", str(tmp_path), "--user", "li"],
                          input="first-password\nfirst-password\n")
    assert added.exit_code == 0, added.output
    assert "已添加 / Added: li" in added.output
    assert "first-password" not in added.output  # the prompt hides what is typed
    again = runner.invoke(staff_add, ["--data-dir", str(tmp_path), "--user", "li",
                                      "--password-stdin"], input="second-password\n")
    assert again.exit_code == 0 and "已更换密码" in again.output
    hub = _hub(tmp_path)
    try:
        assert accounts.sign_in(hub.db, "li", "second-password", hub.clock()) == "li"
        with pytest.raises(accounts.LoginRefused):
            accounts.sign_in(hub.db, "li", "first-password", hub.clock())
    finally:
        hub.close()


@pytest.mark.parametrize(("args", "password", "words"), [
    (["--user", "李 四"], "long-enough-password", "用户名须为 1-32 个字母"),
    (["--user", "li"], "short", "密码须为 10-256 个字符"),
    (["--user", "li", "--database", "mysql://x/y"], "long-enough-password", "不支持的数据库"),
])
def test_a_refusal_exits_2_in_plain_words(tmp_path: Path, args: list[str], password: str,
                                          words: str) -> None:
    answer = CliRunner().invoke(staff_add, ["--data-dir", str(tmp_path), *args,
                                            "--password-stdin"], input=password + "\n")
    assert answer.exit_code == 2 and words in answer.output
    assert "Traceback" not in answer.output
