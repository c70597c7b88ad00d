"""The casetafel command: serve, migrate, demo, check-config, users and tokens, audit tools."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from casetafel.settings import Settings, SettingsError, load_settings

EXIT_CONFIG = 2


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_CONFIG
    try:
        settings = load_settings()
        _install_policy(settings)
        result: int = args.handler(settings, args)
        return result
    except SettingsError as error:
        print(f"casetafel: configuration error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="casetafel",
        description="Escalation and case-conference scheduling for difficult returns.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve the web UI and the API")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument(
        "--port", type=_bounded(1, 65535), default=8000, help="port to listen on (8000)"
    )
    serve.add_argument(
        "--workers",
        type=_bounded(1, 64),
        default=1,
        help="worker processes (PostgreSQL only for > 1)",
    )
    serve.set_defaults(handler=_serve)

    migrate = commands.add_parser(
        "migrate", help="bring the database schema up to date and load the regions from config"
    )
    migrate.set_defaults(handler=_run(_migrate))

    demo = commands.add_parser("demo", help="load the Kennemerland demo (users and cases)")
    demo.add_argument(
        "--cases",
        type=int,
        default=None,
        help="instead, bulk-generate this many realistic cases (for benchmarks)",
    )
    demo.add_argument(
        "--if-empty", action="store_true", help="do nothing when the database already has cases"
    )
    demo.set_defaults(handler=_run(_demo))

    check = commands.add_parser("check-config", help="validate every configuration file")
    check.set_defaults(handler=_check_config)

    create_user = commands.add_parser("create-user", help="add a user who can log in")
    create_user.add_argument("username")
    create_user.add_argument("--name", required=True, help="display name")
    create_user.add_argument("--email", required=True)
    create_user.add_argument(
        "--role",
        required=True,
        choices=[
            "coordinator",
            "municipality",
            "partner",
            "regiegroep",
            "functional_admin",
            "privacy_officer",
        ],
    )
    create_user.add_argument(
        "--organisation", required=True, help="organisation key, e.g. om-noord-holland"
    )
    create_user.add_argument("--region", default=None, help="region code, e.g. KEN")
    create_user.add_argument(
        "--password-env",
        default=None,
        help="read the password from this environment variable instead of asking",
    )
    create_user.set_defaults(handler=_run(_create_user))

    token = commands.add_parser("create-token", help="issue an API token for a user")
    token.add_argument("username")
    token.add_argument(
        "--name", required=True, help="what the token is for, e.g. 'koppeling gemeente'"
    )
    token.set_defaults(handler=_run(_create_token))

    revoke = commands.add_parser("revoke-token", help="revoke a user's API tokens by name")
    revoke.add_argument("username")
    revoke.add_argument("--name", required=True, help="the name given at create-token")
    revoke.set_defaults(handler=_run(_revoke_token))

    audit = commands.add_parser("audit", help="audit log tools")
    audit_commands = audit.add_subparsers(title="audit commands", metavar="COMMAND", required=True)
    verify = audit_commands.add_parser(
        "verify",
        help="check the hash chain of the audit log",
        description="Check the hash chain of the audit log. Prints the head (SEQ:HASH): keep "
        "it outside the database and pass it with --head next time, so that events cut off "
        "the end, or a chain rewritten from before that head, are detected too.",
    )
    verify.add_argument(
        "--head", default=None, help="a head printed by an earlier verify, as SEQ:HASH"
    )
    verify.set_defaults(handler=_run(_audit_verify))
    head = audit_commands.add_parser(
        "head",
        help="verify the chain and write its head to a file kept outside the database",
        description="Verify the hash chain and write its head (SEQ:HASH) to FILE, for "
        "safekeeping outside the database. A head already in FILE is checked first: the "
        "chain must still contain it.",
    )
    head.add_argument("--output", required=True, metavar="FILE", help="where to keep the head")
    head.set_defaults(handler=_run(_audit_head))

    sweep = commands.add_parser(
        "sweep", help="act once on every escalation deadline that is due (for cron)"
    )
    sweep.add_argument(
        "--now",
        default=None,
        help="act as if it were this moment, ISO 8601 with a time zone (default: now)",
    )
    sweep.set_defaults(handler=_run(_sweep))

    retention = commands.add_parser(
        "retention",
        help="anonymise the closed cases whose retention term has passed (once, for cron)",
    )
    retention.add_argument(
        "--now",
        default=None,
        help="act as if it were this moment, ISO 8601 with a time zone (default: now)",
    )
    retention.add_argument(
        "--dry-run", action="store_true", help="only list the cases a run would anonymise"
    )
    retention.set_defaults(handler=_run(_retention))

    reminders = commands.add_parser(
        "send-reminders", help="queue the meeting reminders that are due (one round, for cron)"
    )
    reminders.add_argument(
        "--now",
        default=None,
        help="act as if it were this moment, ISO 8601 with a time zone (default: now)",
    )
    reminders.set_defaults(handler=_run(_send_reminders))

    send_mail = commands.add_parser(
        "send-mail", help="send the mail that is due from the outbox (one round)"
    )
    send_mail.add_argument(
        "--batch-size", type=int, default=50, help="messages to claim and send (50)"
    )
    send_mail.set_defaults(handler=_run(_send_mail))

    sink = commands.add_parser("mail-sink", help="a local SMTP server that keeps what it receives")
    sink.add_argument("--host", default="127.0.0.1")
    sink.add_argument("--port", type=int, default=1025)
    sink.set_defaults(handler=_mail_sink)
    return parser


def _bounded(low: int, high: int) -> Callable[[str], int]:
    """An argparse type for a whole number in [low, high], with a one-line error."""

    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"{number} is not between {low} and {high}")
        return number

    return parse


def _run(command: Callable[[Settings, argparse.Namespace], Awaitable[int]]) -> Callable[..., int]:
    """Run an async command against the configured database."""

    def handler(settings: Settings, args: argparse.Namespace) -> int:
        from casetafel import db

        async def with_database() -> int:
            from casetafel.escalation.setup import start
            from casetafel.notifications.service import configure_mail

            db.configure(settings)
            start(settings.config_dir)
            configure_mail(settings.base_url)
            await db.start_pool(settings)
            try:
                return await command(settings, args)
            finally:
                await db.close_pool()

        return asyncio.run(with_database())

    return handler


def _install_policy(settings: Settings) -> None:
    from casetafel.access import policy
    from casetafel.cases.vocabulary import CATEGORIES

    policy.install(policy.load_policy(settings.config_dir, CATEGORIES))


def _check_config(settings: Settings, args: argparse.Namespace) -> int:
    from casetafel.escalation.setup import load_config
    from casetafel.ladder import load_ladder
    from casetafel.meetings.config import load_meetings
    from casetafel.organisations.config import load_regions

    ladder = load_ladder(settings.config_dir)
    regions = load_regions(settings.config_dir)
    escalation = load_config(settings.config_dir)
    meetings = load_meetings(settings.config_dir, ladder)
    print(
        f"configuration OK: {settings.config_dir} "
        f"({len(ladder.levels)} levels, {len(escalation.default.rules)} rules, "
        f"{len(meetings.kinds)} meeting kinds, "
        f"{len(regions)} region(s), database "
        f"{'SQLite' if settings.is_sqlite else 'PostgreSQL'})"
    )
    return 0


async def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from casetafel import db
    from casetafel.access.policy import current
    from casetafel.cases import legal_bases
    from casetafel.organisations.config import load_regions
    from casetafel.organisations.service import sync_regions

    regions = load_regions(settings.config_dir)
    await db.prepare(settings)
    await db.migrate()
    await sync_regions(regions)
    await legal_bases.backfill(current())
    print(f"database up to date; {len(regions)} region(s) loaded from config")
    return 0


async def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from casetafel import demo

    if args.cases is not None:
        if args.cases < 1:
            print("casetafel: --cases must be 1 or more", file=sys.stderr)
            return EXIT_CONFIG
        seconds = await demo.bulk_load(settings, args.cases)
        print(f"{args.cases} cases generated in {seconds:.1f} s")
        return 0
    loaded = await demo.load_demo(settings, only_if_empty=args.if_empty)
    if loaded:
        print(demo.LOGIN_HELP)
    else:
        print("demo data already present; nothing loaded")
    return 0


async def _create_user(settings: Settings, args: argparse.Namespace) -> int:
    from casetafel.access.policy import Role
    from casetafel.accounts.service import AccountError, create_user

    if args.password_env:
        password = os.environ.get(args.password_env, "")
    else:
        password = getpass.getpass("Wachtwoord: ")
    try:
        user = await create_user(
            username=args.username,
            password=password,
            display_name=args.name,
            email=args.email,
            role=Role(args.role),
            organisation_key=args.organisation,
            region_code=args.region,
        )
    except AccountError as error:
        print(f"casetafel: {error.message}", file=sys.stderr)
        return 1
    print(f"user {user.username} created")
    return 0


async def _create_token(settings: Settings, args: argparse.Namespace) -> int:
    from casetafel.accounts.models import User
    from casetafel.accounts.service import create_api_token

    user = await User.objects().where(User.username == args.username).first()
    if user is None or not user.active:
        print(f"casetafel: no active user {args.username!r}", file=sys.stderr)
        return 1
    print(await create_api_token(user, args.name))
    return 0


async def _sweep(settings: Settings, args: argparse.Namespace) -> int:
    from datetime import datetime

    from casetafel import clock
    from casetafel.escalation.setup import load_config
    from casetafel.escalation.sweep import sweep

    if args.now:
        try:
            moment = datetime.fromisoformat(args.now)
        except ValueError:
            moment = datetime.min
        if moment.tzinfo is None:
            print(
                "casetafel: --now: use ISO 8601 with a time zone, e.g. 2026-12-01T09:00+01:00",
                file=sys.stderr,
            )
            return EXIT_CONFIG
        clock.set_clock(lambda: moment)
    report = await sweep(load_config(settings.config_dir))
    print(
        f"sweep: {report.cases} case(s), {report.acted} deadline(s) acted on, "
        f"{report.escalated} escalation(s), {report.notified} notification(s)"
        + (f", FAILED cases: {report.failed}" if report.failed else "")
    )
    return 1 if report.failed else 0


async def _retention(settings: Settings, args: argparse.Namespace) -> int:
    from datetime import datetime

    from casetafel.app import RETENTION_ERASERS
    from casetafel.cases import retention

    moment: datetime | None = None
    if args.now:
        try:
            moment = datetime.fromisoformat(args.now)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            print(
                "casetafel: --now: use ISO 8601 with a time zone, e.g. 2026-12-01T09:00+01:00",
                file=sys.stderr,
            )
            return EXIT_CONFIG
    if args.dry_run:
        due = await retention.due_cases(moment)
        for case in due:
            print(f"{case.reference}  closed {case.closed_at:%Y-%m-%d}  term {case.years} years")
        print(f"retention (dry run): {len(due)} case(s) would be anonymised")
        return 0
    report = await retention.anonymise_due(moment, erasers=RETENTION_ERASERS)
    print(f"retention: {len(report.anonymised)} case(s) anonymised")
    return 0


async def _send_reminders(settings: Settings, args: argparse.Namespace) -> int:
    from datetime import datetime

    from casetafel.meetings.jobs import context_for
    from casetafel.meetings.reminders import send_reminders

    moment: datetime | None = None
    if args.now:
        try:
            moment = datetime.fromisoformat(args.now)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            print(
                "casetafel: --now: use ISO 8601 with a time zone, e.g. 2026-12-01T09:00+01:00",
                file=sys.stderr,
            )
            return EXIT_CONFIG
    queued = await send_reminders(await context_for(settings), moment)
    print(f"reminders: {queued} queued (the outbox sends them)")
    return 0


async def _revoke_token(settings: Settings, args: argparse.Namespace) -> int:
    from casetafel.accounts.models import User
    from casetafel.accounts.service import revoke_api_tokens

    user = await User.objects().where(User.username == args.username).first()
    if user is None:
        print(f"casetafel: no user {args.username!r}", file=sys.stderr)
        return 1
    count = await revoke_api_tokens(user, args.name)
    print(f"{count} token(s) named {args.name!r} revoked")
    return 0 if count else 1


async def _audit_verify(settings: Settings, args: argparse.Namespace) -> int:
    from casetafel.access.audit import Head, verify

    try:
        known = Head.parse(args.head) if args.head else None
    except ValueError as problem:
        print(f"casetafel audit verify: --head: {problem}", file=sys.stderr)
        return 2
    result = await verify(known_head=known)
    if result.ok:
        print(f"audit log intact: {result.checked} events checked; head {result.head or '-'}")
        return 0
    print(f"audit log BROKEN after {result.checked} events: {result.problem}", file=sys.stderr)
    return 1


async def _audit_head(settings: Settings, args: argparse.Namespace) -> int:
    from casetafel.access.audit import Head, verify

    target = Path(args.output)
    try:
        text = _read_if_present(target)
        kept = Head.parse(text) if text is not None else None
    except (OSError, ValueError) as problem:
        print(f"casetafel audit head: {target}: {problem}", file=sys.stderr)
        return 2
    result = await verify(known_head=kept)
    if not result.ok:
        print(f"audit log BROKEN after {result.checked} events: {result.problem}", file=sys.stderr)
        return 1
    if result.head is None:
        print("casetafel audit head: the audit log is empty, there is no head", file=sys.stderr)
        return 1
    _keep_head(target, str(result.head))
    print(f"audit log intact: {result.checked} events checked; head {result.head} in {target}")
    return 0


def _read_if_present(path: Path) -> str | None:
    return path.read_text() if path.exists() else None


def _keep_head(path: Path, head: str) -> None:
    path.write_text(f"{head}\n")


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    if args.workers > 1 and settings.is_sqlite:
        print(
            "casetafel: configuration error: --workers: more than one worker needs PostgreSQL "
            "(set CASETAFEL_DATABASE_URL)",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    _check_config(settings, args)
    print(f"casetafel serves on http://{args.host}:{args.port}  (base URL {settings.base_url})")
    options: dict[str, Any] = {"host": args.host, "port": args.port, "log_level": "warning"}
    if args.workers > 1:
        uvicorn.run("casetafel.asgi:app", workers=args.workers, **options)
    else:
        from casetafel.app import create_app

        uvicorn.run(create_app(settings), **options)
    return 0


def _mail_sink(settings: Settings, args: argparse.Namespace) -> int:
    from casetafel.mail.sink import run_sink

    run_sink(args.host, args.port, settings.mail_sink_path)
    return 0


async def _send_mail(settings: Settings, args: argparse.Namespace) -> int:
    from casetafel.mail.sender import send_due

    if args.batch_size < 1:
        print("casetafel: --batch-size must be 1 or more", file=sys.stderr)
        return EXIT_CONFIG
    report = await send_due(settings, batch_size=args.batch_size)
    for label, outcomes in (
        ("sent", report.sent),
        ("retry", report.retried),
        ("dead", report.dead),
        ("waiting", report.postponed),
    ):
        for outcome in outcomes:
            error = f"  ({outcome.error})" if outcome.error else ""
            print(f"{label:8} {outcome.kind:10} {outcome.recipient}  {outcome.subject}{error}")
    print(
        f"{len(report.sent)} sent, {len(report.retried)} to retry, {len(report.dead)} dead, "
        f"{len(report.postponed)} waiting"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
