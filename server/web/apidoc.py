"""GET /api/openapi.json: the hub describes its own API.

The document is the data file openapi.json beside this module, read once at import. Its routes are
checked against the app's real ones by tests/web/test_openapi.py, so an endpoint added without
its description fails the tests. The version is the hub's own, not a copy kept in the file.
"""
from __future__ import annotations

import json
from importlib import resources

from flask import Blueprint, jsonify

from .. import __version__

bp = Blueprint("apidoc", __name__, url_prefix="/api")


def _load() -> dict:
    doc = json.loads(resources.files(__package__).joinpath("openapi.json").read_text("utf-8"))
    doc["info"]["version"] = __version__
    return doc


DOCUMENT = _load()


@bp.get("/openapi.json")
def openapi():
    return jsonify(DOCUMENT)
