"""The web pages the hub serves: the live hall overview and the citizen's phone page."""
from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("pages", __name__)


@bp.get("/")
def overview():
    return render_template("overview.html")


@bp.get("/t/<token>")
def ticket_page(token: str):
    # The page itself holds no ticket data: it asks /api/tickets/<token> and follows the stream,
    # so a wrong token shows a friendly message rather than an error page.
    return render_template("ticket.html", token=token)
