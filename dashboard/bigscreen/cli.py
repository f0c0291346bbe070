"""The ``ipgrid bigscreen`` command: start the kiosk server on a port, for a data folder or a store.

Wire it into the main parser with::

    from dashboard.bigscreen.cli import add_bigscreen_parser
    add_bigscreen_parser(subparsers)   # sets func=run_bigscreen

It runs ``python -m streamlit run kiosk.py`` from the repository root (so the
kiosk shares ``static/`` and ``.streamlit/config.toml`` with the app), passing
the data (``$IPGRID_DATA`` for a folder, ``$IPGRID_STORE`` for a store: a
``.gpkg`` path or a ``postgresql://`` URL, shown at its latest version in
force) and the rotation settings through the environment.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from dashboard.bigscreen.settings import (
    ASOF_ENV,
    DEFAULT_INTERVAL_S,
    DEFAULT_POLL_S,
    DEFAULT_TOWN_METRIC,
    DISTRICT_ENV,
    ENV,
    INTERVAL_RANGE_S,
    POLL_RANGE_S,
    parse_seconds,
    rankable_metrics,
)
from dashboard.cli_args import integer_in
from dashboard.store import checked_date, is_database_url, is_store_location
from loaders import DataFolderError
from loaders.errors import StoreError

DATA_ENV = "IPGRID_DATA"
"""Environment variable of the data folder (the same as :data:`dashboard.app_data.DATA_ENV`)."""

STORE_ENV = "IPGRID_STORE"
"""Environment variable of the store (the same as :data:`dashboard.app_data.STORE_ENV`); wins over :data:`DATA_ENV`."""

DEFAULT_PORT = 8502
"""Port of the kiosk server (the app's default is 8501, so both can run)."""

PORT_RANGE = (1, 65535)
"""Ports ``--port`` accepts."""

DEFAULT_ADDRESS = "127.0.0.1"
"""Listen on this machine only; ``--address 0.0.0.0`` serves a wall screen on another machine."""

KIOSK_SCRIPT = Path(__file__).resolve().parents[2] / "kiosk.py"
"""The kiosk entry script, beside ``streamlit_app.py``."""


def _seconds(bounds: tuple[float, float], what: str) -> Callable[[str], float]:
    def parse(value: str) -> float:
        try:
            return parse_seconds(value, bounds, what)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def add_bigscreen_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``bigscreen`` subcommand (``func=run_bigscreen``) to ``subparsers``.

    Parameters
    ----------
    subparsers
        What ``ArgumentParser.add_subparsers()`` returned.

    Returns
    -------
    argparse.ArgumentParser
        The subcommand's parser.
    """
    p = subparsers.add_parser(
        "bigscreen", help="领导会议大屏：深色、自动轮播、无滚动（1920×1080 / 3840×2160）",
        description="启动大屏服务，浏览器全屏打开所示地址。任意键或点击暂停/继续，方向键切换画面。",
    )
    p.add_argument("path", nargs="?",
                   help="数据文件夹，或存储（.gpkg 文件、postgresql:// 地址；显示最新的有效版本）"
                        "（默认 $IPGRID_STORE，其次 $IPGRID_DATA，都未设置时为示例数据）")
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help="存储中的数据截至日（默认最新有效版本；只用于存储）")
    p.add_argument("--district", metavar="NAME", help="存储中有多个区县时显示哪一个（只用于存储）")
    p.add_argument("--port", type=integer_in(*PORT_RANGE, "端口"), default=DEFAULT_PORT,
                   help=f"端口 {PORT_RANGE[0]}–{PORT_RANGE[1]}（默认 {DEFAULT_PORT}）")
    p.add_argument("--address", default=DEFAULT_ADDRESS,
                   help=f"监听地址（默认 {DEFAULT_ADDRESS}；用 0.0.0.0 供其他电脑的大屏访问）")
    p.add_argument("--interval", type=_seconds(INTERVAL_RANGE_S, "interval"), default=DEFAULT_INTERVAL_S,
                   help=f"每个画面停留秒数（默认 {DEFAULT_INTERVAL_S:g}）")
    p.add_argument("--poll", type=_seconds(POLL_RANGE_S, "poll"), default=DEFAULT_POLL_S,
                   help=f"检查数据（文件夹或存储）是否更新的间隔秒数（默认 {DEFAULT_POLL_S:g}）")
    p.add_argument("--metric", choices=rankable_metrics(), default=DEFAULT_TOWN_METRIC,
                   help=f"镇街分级设色与排名所用指标（默认 {DEFAULT_TOWN_METRIC}）")
    p.add_argument("--dry-run", action="store_true", help="只显示将要运行的命令，不启动")
    p.set_defaults(func=run_bigscreen)
    return p


def data_setting(path: str) -> tuple[str, str]:
    """The environment variable and value that make the kiosk show ``path``: a store or a data folder.

    Raises
    ------
    loaders.DataFolderError
        ``path`` is neither an existing folder nor a store location.
    loaders.errors.StoreError
        ``path`` names a ``.gpkg`` file that does not exist.
    """
    text = path.strip()
    if is_store_location(text):
        if is_database_url(text):
            return STORE_ENV, text  # whether the database answers, the kiosk says on screen (and retries)
        store = Path(text).expanduser().resolve()
        if not store.is_file():
            msg = f"存储不存在：{path}；先用 ipgrid import 导入一个季度的数据文件夹来创建它"
            raise StoreError(msg)
        return STORE_ENV, str(store)
    folder = Path(text).expanduser().resolve()
    if not folder.is_dir():
        msg = f"数据文件夹不存在或不是文件夹：{path}"
        raise DataFolderError(msg)
    return DATA_ENV, str(folder)


def bigscreen_command(args: argparse.Namespace) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that start the kiosk server for ``args``.

    Raises
    ------
    loaders.DataFolderError
        ``args.path`` is given but is neither a folder nor a store location.
    loaders.errors.StoreError
        ``args.path`` names a ``.gpkg`` store that does not exist.
    """
    env = dict(os.environ)
    if args.path:
        name, value = data_setting(args.path)
        env.pop(STORE_ENV, None)  # a store in the environment would win over the folder given
        env[name] = value
    env.pop(ASOF_ENV, None)
    env.pop(DISTRICT_ENV, None)
    for option, given in (("--as-of", getattr(args, "as_of", None)), ("--district", getattr(args, "district", None))):
        if given and env.get(STORE_ENV) is None and args.path:
            msg = f"{option} 只用于存储（.gpkg 文件或 postgresql:// 地址）；「{args.path}」是数据文件夹"
            raise StoreError(msg)
    if getattr(args, "as_of", None):
        env[ASOF_ENV] = checked_date(args.as_of)
    if getattr(args, "district", None):
        env[DISTRICT_ENV] = str(args.district).strip()
    env[ENV["interval"]] = f"{args.interval:g}"
    env[ENV["poll"]] = f"{args.poll:g}"
    env[ENV["metric"]] = args.metric
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(KIOSK_SCRIPT),
        "--server.port", str(args.port),
        "--server.address", args.address,
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]
    return cmd, env


def refuse_open_kiosk(address: str, env: dict[str, str]) -> None:
    """Refuse to start a kiosk that others could reach when its store has no account (so no token could be checked).

    Raises
    ------
    loaders.errors.StoreError
        ``address`` is beyond this machine and the data is a folder or a store without accounts.
    """
    from dashboard.access.settings import is_local_address

    location = env.get(STORE_ENV)
    if is_local_address(address) or not (location or env.get(DATA_ENV)):  # the demo store has its kiosk account
        return
    count = 0
    if location:
        from dashboard.store import Store
        from dashboard.store.accounts import Accounts

        count = Accounts(Store(location)).count()
    if not count:
        where = location or "存储.gpkg"
        what = "存储" if location else "数据文件夹"
        msg = (f"大屏将监听 {address}（不只是本机），但{what}没有任何账号，不能用令牌保护，拒绝启动；"
               f"请先把数据导入存储并创建大屏账号：ipgrid user add 大屏 --role kiosk --store {where}，"
               "再用 ?kiosk=1&token=令牌 打开")
        raise StoreError(msg)


def run_bigscreen(args: argparse.Namespace) -> int:
    """Start the kiosk server and wait for it (Ctrl+C stops it); returns its exit code.

    Raises
    ------
    loaders.IpgridError
        ``args.path`` is neither a folder nor an existing store (the CLI prints one Chinese line, exit 2).
    """
    cmd, env = bigscreen_command(args)
    refuse_open_kiosk(args.address, env)
    host = "127.0.0.1" if args.address in ("0.0.0.0", "::", "") else args.address
    print(f"大屏地址：http://{host}:{args.port}/   （全屏：F11；任意键或点击暂停/继续）", flush=True)
    if args.dry_run:
        print(" ".join(cmd))
        return 0
    try:
        return subprocess.call(cmd, env=env, cwd=KIOSK_SCRIPT.parent)
    except KeyboardInterrupt:
        return 0
