"""Piccolo's configuration module (PICCOLO_CONF=casetafel.piccolo_conf).

DB is replaced by db.configure() at start-up; the value here serves Piccolo's own CLI.
"""

from typing import Any

from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine

from casetafel.db import make_engine
from casetafel.settings import load_settings

DB: Engine[Any] = make_engine(load_settings())

APP_REGISTRY = AppRegistry(apps=["casetafel.piccolo_app"])
