"""The functional administrator's overview of the configuration: no case content."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.response import Template

from casetafel.access.policy import role_labels
from casetafel.accounts.models import User
from casetafel.errors import Forbidden
from casetafel.web.auth import permission
from casetafel.web.deps import CurrentActor, DirectoryDep, LadderDep
from casetafel.web.pages import page


class AdminViews(Controller):
    opt = permission("config.read")
    include_in_schema = False

    @get("/beheer", name="admin")
    async def overview(
        self,
        request: Request[Any, Any, State],
        actor: CurrentActor,
        directory: DirectoryDep,
        ladder: LadderDep,
    ) -> Template:
        if not actor.can_admin:
            raise Forbidden("Alleen de functioneel beheerder mag de configuratie inzien.")
        users = await User.select(
            User.username, User.display_name, User.role, User.organisation.name, User.active
        ).order_by(User.username)
        return page(
            request,
            "admin.html",
            actor,
            nav_active="admin",
            directory=directory,
            ladder=ladder,
            users=users,
            role_labels=role_labels(),
        )
