"""Explicit dependency markers for route handlers (Litestar 3 drops inferred ones)."""

from __future__ import annotations

from litestar.di import NamedDependency

from casetafel.access.policy import Actor
from casetafel.ladder import Ladder
from casetafel.organisations.service import Directory

CurrentActor = NamedDependency[Actor]
DirectoryDep = NamedDependency[Directory]
LadderDep = NamedDependency[Ladder]
