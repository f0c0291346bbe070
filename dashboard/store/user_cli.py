"""The ``ipgrid user`` commands: add, list, passwd, disable, enable and token of the store's accounts.

A password is typed twice at a prompt that does not echo it, or read from
standard input with ``--password-stdin`` (one line, for scripts); it never
appears on the command line, where other users of the server could read it
in the process list.  A kiosk account's token is printed once, alone on the
command's last line, so a script can take it with ``tail -n 1``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import sys
from typing import Any

from dashboard.access.roles import ROLES
from dashboard.store.accounts import Account, AccountError, Accounts
from dashboard.store.store import Store, default_user

EXIT_OK = 0


def _password(args: argparse.Namespace) -> str:
    """The new password: one line of standard input, or typed twice at a hidden prompt."""
    if args.password_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        msg = "没有终端可以输入密码；脚本中请用 --password-stdin 从标准输入读取密码"
        raise AccountError(msg)
    first = getpass.getpass("密码：")
    if getpass.getpass("再输入一次：") != first:
        msg = "两次输入的密码不一致"
        raise AccountError(msg)
    return first


def _accounts(args: argparse.Namespace) -> Accounts:
    return Accounts(Store(args.store))


def _cmd_add(args: argparse.Namespace) -> int:
    accounts = _accounts(args)
    password = None if args.role == "kiosk" else _password(args)
    token = accounts.add(args.name, args.role, by=args.user or default_user(), commissioner=args.commissioner or "",
                         password=password)
    label = ROLES[args.role]
    extra = f"（专员 {args.commissioner}）" if args.commissioner else ""
    if token is None:
        print(f"已创建{label}账号「{args.name.strip()}」{extra}。")
        return EXIT_OK
    print(f"已创建大屏账号「{args.name.strip()}」。令牌只显示这一次，请妥善保存；"
          "大屏地址：http://服务器:端口/?kiosk=1&token=令牌")
    print(token)
    return EXIT_OK


def _status(account: Account) -> str:
    now = dt.datetime.now().astimezone()
    return "停用" if account.disabled else "锁定" if account.locked_at(now) else "正常"


def _cmd_list(args: argparse.Namespace) -> int:
    from dashboard.cli import format_table

    accounts = _accounts(args).all()
    if args.json:
        json.dump([a.to_json() for a in accounts], sys.stdout, ensure_ascii=False, indent=1)
        print()
        return EXIT_OK
    if not accounts:
        print("该存储还没有账号；用 ipgrid user add 管理员名 --role admin --store 存储 创建第一个管理员。")
        return EXIT_OK
    rows = [[a.name, a.role_label, a.commissioner or "—", _status(a),
             (a.last_login_at or "从未")[:19].replace("T", " ")] for a in accounts]
    print(format_table(["账号", "角色", "专员姓名", "状态", "最近登录"], rows))
    return EXIT_OK


def _cmd_passwd(args: argparse.Namespace) -> int:
    accounts = _accounts(args)
    account = accounts.get(args.name)
    if account is None:
        msg = f"没有账号「{args.name}」；ipgrid user list 列出全部账号"
        raise AccountError(msg)
    if account.role == "kiosk":  # said before a password is asked for
        msg = f"大屏账号没有密码；用 ipgrid user token {account.name} 换一个新令牌"
        raise AccountError(msg)
    accounts.set_password(args.name, _password(args), by=args.user or default_user())
    print(f"已修改账号「{args.name}」的密码。")
    return EXIT_OK


def _cmd_disable(args: argparse.Namespace) -> int:
    _accounts(args).set_disabled(args.name, True, by=args.user or default_user())
    print(f"已停用账号「{args.name}」：不能再登录，已登录的会话在下一次操作时结束。")
    return EXIT_OK


def _cmd_enable(args: argparse.Namespace) -> int:
    _accounts(args).set_disabled(args.name, False, by=args.user or default_user())
    print(f"已启用账号「{args.name}」（锁定已解除）。")
    return EXIT_OK


def _cmd_token(args: argparse.Namespace) -> int:
    token = _accounts(args).new_token(args.name, by=args.user or default_user())
    print(f"已为大屏账号「{args.name}」生成新令牌，旧令牌已失效。令牌只显示这一次：")
    print(token)
    return EXIT_OK


def add_user_parser(sub: Any) -> None:
    """Add ``ipgrid user …`` to the ``ipgrid`` parser."""
    user = sub.add_parser("user", help="账号：add 创建、list 列出、passwd 改密码、disable/enable 停用/启用、token 令牌")
    actions = user.add_subparsers(dest="user_command", required=True, metavar="{add,list,passwd,disable,enable,token}")

    def store_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--store", required=True, help="存储：.gpkg 文件或 postgresql:// 地址")
        p.add_argument("--user", help="记录为操作人（默认当前系统用户）")

    p = actions.add_parser("add", help="创建账号（管理员、领导、网格专员需要密码；大屏账号得到一个令牌）")
    p.add_argument("name", metavar="NAME", help="账号名（登录时填写的用户名）")
    roles = "、".join(f"{k}={v}" for k, v in ROLES.items())
    p.add_argument("--role", required=True, choices=list(ROLES), help=f"角色：{roles}")
    p.add_argument("--commissioner", metavar="专员姓名", help="网格专员账号对应的专员姓名（与网格分配一致）")
    p.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（一行），不交互提示")
    store_option(p)
    p.set_defaults(func=_cmd_add)

    p = actions.add_parser("list", help="列出账号（不显示密码或散列）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    store_option(p)
    p.set_defaults(func=_cmd_list)

    p = actions.add_parser("passwd", help="修改密码（并解除锁定）")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--password-stdin", action="store_true", help="从标准输入读取新密码（一行）")
    store_option(p)
    p.set_defaults(func=_cmd_passwd)

    for action, text, func in (("disable", "停用账号", _cmd_disable), ("enable", "启用账号（并解除锁定）", _cmd_enable),
                               ("token", "为大屏账号生成新令牌（旧令牌立即失效）", _cmd_token)):
        p = actions.add_parser(action, help=text)
        p.add_argument("name", metavar="NAME")
        store_option(p)
        p.set_defaults(func=func)
