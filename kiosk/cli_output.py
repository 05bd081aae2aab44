"""What every ``bianmin`` command shares on the way out: the ``--json`` flag and the JSON
it prints (UTF-8 kept readable: Chinese stays Chinese)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def json_option(fn: F) -> F:
    return click.option("--json", "as_json", is_flag=True,
                        help="以 JSON 输出 / Print JSON on stdout.")(fn)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
