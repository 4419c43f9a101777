"""The web pages the hub serves: the live hall overview and the citizen's phone page."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from ..engine.model import DomainError
from .errors import TICKET_NOT_FOUND, error_page

bp = Blueprint("pages", __name__)

MAX_TOKEN = 100  # tokens are 24 characters; a longer one is no ticket's, without asking the store


@bp.get("/")
def overview():
    return render_template("overview.html")


@bp.get("/t/<token>")
def ticket_page(token: str):
    # The page holds no ticket data: it asks /api/tickets/<token> and follows the stream. A token
    # no ticket has is told here, in both languages and with a 404, without waiting for the
    # page's script (which still says so if the ticket goes missing later).
    if len(token) > MAX_TOKEN or not _known(token):
        return error_page(404, TICKET_NOT_FOUND, box_id="not-found")
    return render_template("ticket.html", token=token)


def _known(token: str) -> bool:
    try:
        current_app.config["HUB"].ticket_status(token)
    except DomainError as e:
        if e.status == 404:
            return False
        raise
    return True
