"""``oversight serve``: the HTTP API (and, in time, the dashboard) on the service layer."""

from .app import create_app

__all__ = ["create_app"]
