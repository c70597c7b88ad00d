"""create_app(settings): routes, templates, error handling, lifespan (db pool, scheduler)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from litestar import Controller, Litestar, Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import ResponseHeader, State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.static_files import create_static_files_router

from casetafel import db
from casetafel.access import policy as access_policy
from casetafel.access.policy import Actor
from casetafel.access.views import AuditViews
from casetafel.accounts import jobs as account_jobs
from casetafel.accounts.views import LoginController
from casetafel.cases import jobs as case_jobs
from casetafel.cases import sections
from casetafel.cases.api import CaseApi
from casetafel.cases.retention import Eraser
from casetafel.cases.retention_views import RetentionViews
from casetafel.cases.subject_views import SubjectOverviewViews
from casetafel.cases.views import CaseViews
from casetafel.cases.vocabulary import CATEGORIES
from casetafel.escalation import jobs as escalation_jobs
from casetafel.escalation import retention as escalation_retention
from casetafel.escalation import setup as escalation_setup
from casetafel.escalation.api import EscalationApi
from casetafel.escalation.views import EscalationViews
from casetafel.ladder import Ladder, load_ladder
from casetafel.mail import imap
from casetafel.mail import jobs as mail_jobs
from casetafel.mail.views import DevMailViews, MailQueueViews
from casetafel.meetings import agenda_views, rsvp
from casetafel.meetings import jobs as meetings_jobs
from casetafel.meetings import retention as meetings_retention
from casetafel.meetings.config import load_meetings
from casetafel.meetings.feed_views import AgendaViews, FeedViews
from casetafel.meetings.views import MeetingViews, RsvpViews
from casetafel.notifications import service as notifications
from casetafel.notifications.views import NotificationViews
from casetafel.organisations.persons_views import PersonViews
from casetafel.organisations.service import Directory, load_directory
from casetafel.organisations.views import AdminViews
from casetafel.settings import Settings
from casetafel.web.auth import (
    PUBLIC,
    api_actor,
    api_guard,
    audit_forbidden,
    page_actor,
    page_guard,
    permission,
    public_guard,
    undeclared_routes,
)
from casetafel.web.errors import EXCEPTION_HANDLERS
from casetafel.web.middleware import request_id_middleware
from casetafel.web.templating import template_config
from casetafel.web.views import WebViews

PACKAGE = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE / "web" / "static"
log = logging.getLogger("casetafel")


@dataclass(frozen=True)
class Domain:
    """What one domain hands the app: its pages (session, CSRF), its JSON API (bearer
    token), its public token links, and its templates (the package's templates/ folder).
    Every route declares its permission itself (web/auth.py)."""

    name: str
    pages: tuple[type[Controller], ...] = ()
    api: tuple[type[Controller], ...] = ()
    public: tuple[type[Controller], ...] = ()

    @property
    def templates(self) -> Path:
        return PACKAGE / self.name / "templates"


# Bottom to top, as in DESIGN.md; the one place that lists the domains.
DOMAINS = (
    Domain("web", pages=(WebViews,)),
    Domain("organisations", pages=(AdminViews, PersonViews)),
    Domain("accounts", pages=(LoginController,)),
    Domain("access", pages=(AuditViews,)),
    Domain("mail", pages=(MailQueueViews,)),
    Domain("notifications", pages=(NotificationViews,)),
    Domain("cases", pages=(CaseViews, RetentionViews, SubjectOverviewViews), api=(CaseApi,)),
    Domain("escalation", pages=(EscalationViews,), api=(EscalationApi,)),
    Domain(
        "meetings",
        pages=(MeetingViews, agenda_views.AgendaItemViews, AgendaViews),
        public=(FeedViews, RsvpViews),
    ),
)

# What the retention run hands each batch of anonymised cases to, above cases (cases/retention.py).
RETENTION_ERASERS: tuple[Eraser, ...] = (
    escalation_retention.erase_notes,
    meetings_retention.erase_case_texts,
)


def _directory(state: State) -> Directory:
    directory: Directory = state.directory
    return directory


def _ladder(state: State) -> Ladder:
    ladder: Ladder = state.ladder
    return ladder


async def _notifications_panel(actor: Actor) -> sections.Section | None:
    unread = await notifications.for_user(actor, unread_only=True)
    if not unread:
        return None
    return sections.Section("_notifications_panel.html", {"rows": unread[:10], "more": len(unread)})


def create_app(settings: Settings, *, own_database: bool = True) -> Litestar:
    """The app. With own_database=False (tests) the caller has configured the database,
    started its pool and put the directory in app.state; no scheduler runs."""
    if own_database:
        db.configure(settings)
    access_policy.install(access_policy.load_policy(settings.config_dir, CATEGORIES))
    ladder = load_ladder(settings.config_dir)
    escalation = escalation_setup.start(settings.config_dir)
    meetings = load_meetings(settings.config_dir, ladder)
    agenda_views.install_sections(meetings, escalation)
    notifications.configure_mail(settings.base_url)
    sections.register_dashboard_section("notifications", _notifications_panel)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if not own_database:
            yield
            return
        await db.start_pool(settings)
        app.state.directory = await load_directory()
        scheduler = AsyncIOScheduler(timezone="UTC")
        account_jobs.register(scheduler)
        mail_jobs.register(scheduler, settings)
        escalation_jobs.register(scheduler, escalation)
        case_jobs.register(scheduler, RETENTION_ERASERS)
        meeting_context = meetings_jobs.from_state(app.state)
        meetings_jobs.register(scheduler, meeting_context)
        imap.register(scheduler, settings, lambda raw: rsvp.handle_inbound(raw, meeting_context()))
        scheduler.start()
        try:
            yield
        finally:
            scheduler.shutdown(wait=False)
            await db.close_pool()

    pages = Router(
        path="/",
        route_handlers=[
            *[c for d in DOMAINS for c in d.pages],
            *([DevMailViews] if settings.dev_mail_page else []),
        ],
        dependencies={"actor": Provide(page_actor)},
        guards=[page_guard],
        include_in_schema=False,
    )
    api = Router(
        path="/",
        route_handlers=[c for d in DOMAINS for c in d.api],
        dependencies={"actor": Provide(api_actor)},
        guards=[api_guard],
    )
    public = Router(
        path="/",
        route_handlers=[
            *[c for d in DOMAINS for c in d.public],
            create_static_files_router(
                path="/static",
                directories=[STATIC_DIR],
                include_in_schema=False,
                opt=permission(PUBLIC),
            ),
        ],
        guards=[public_guard],
    )
    app = Litestar(
        route_handlers=[pages, api, public],
        after_exception=[audit_forbidden],
        dependencies={
            "directory": Provide(_directory, sync_to_thread=False),
            "ladder": Provide(_ladder, sync_to_thread=False),
        },
        state=State(
            {
                "settings": settings,
                "ladder": ladder,
                "escalation": escalation,
                "meetings": meetings,
            }
        ),
        lifespan=[lifespan],
        template_config=template_config([d.templates for d in DOMAINS]),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="casetafel_csrf",
            cookie_secure=settings.secure_cookies,
            cookie_httponly=True,
            cookie_samesite="lax",
            exclude=["/api/", "/feeds/"],
        ),
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[request_id_middleware],
        openapi_config=OpenAPIConfig(
            title="casetafel API",
            version="1",
            path="/schema",
            description=(
                "The case register and escalation engine of casetafel. "
                "Authenticate with 'Authorization: Bearer <token>'."
            ),
        ),
        response_headers=[
            ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
            ResponseHeader(name="X-Frame-Options", value="DENY"),
            ResponseHeader(name="Referrer-Policy", value="same-origin"),
        ],
        request_max_body_size=1_000_000,
        debug=False,
    )
    undeclared = undeclared_routes(app)
    if undeclared:
        raise RuntimeError(f"routes without a declared permission: {', '.join(undeclared)}")
    return app
