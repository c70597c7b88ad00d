"""The ASGI app for `uvicorn casetafel.asgi:app` (used by `serve --workers N`)."""

from casetafel.app import create_app
from casetafel.settings import load_settings

app = create_app(load_settings())
