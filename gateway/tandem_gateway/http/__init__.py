"""The public REST API: a Flask app served by gunicorn (gthread workers)."""
from .app import create_app

__all__ = ["create_app"]
