"""Who is signed in to the clerk console: Flask's signed cookie session and its CSRF token.

The cookie holds the clerk's id, a session id, the sign-in time, a fingerprint of the clerk's
password hash and the CSRF token. It is signed with a key kept in the store (`Hub.session_secret`).
A session ends after one shift, at sign-out (its id is remembered in the store, so a copied
cookie stops working too), when the clerk leaves the hall config, or when their password changes.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import Flask, current_app, g, session
from flask.sessions import SecureCookieSessionInterface

from ..config.model import Staff
from ..hub import Hub

SHIFT = timedelta(hours=12)
COOKIE_NAME = "hallcall_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


def signing_key(app: Flask) -> str:
    """The key of the console's cookies, fetched from the store on first use: building the app
    does no I/O. Two first requests at once both read the same stored key."""
    if not app.secret_key:
        app.secret_key = app.config["HUB"].session_secret()
    return app.secret_key


class HubKeyedSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, signed with `signing_key`."""

    def get_signing_serializer(self, app: Flask):
        signing_key(app)
        return super().get_signing_serializer(app)

    def open_session(self, app: Flask, request):
        # Devices (kiosks, keys, displays) send no cookie: an empty session without building
        # the signing serializer, which was ~5% of the hub's CPU on a flat-out run.
        if not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask, settings: dict) -> None:
    app.session_interface = HubKeyedSessions()
    defaults = {
        "SESSION_COOKIE_NAME": COOKIE_NAME,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Strict",
        # Halls run plain HTTP on their LAN; behind TLS, set SESSION_COOKIE_SECURE (serve
        # --secure-cookie) and the browser never sends the cookie unencrypted.
        "SESSION_COOKIE_SECURE": False,
        "PERMANENT_SESSION_LIFETIME": SHIFT,
        # The cookie is written at sign-in only; refreshing it on every request would stretch
        # one shift's session without end.
        "SESSION_REFRESH_EACH_REQUEST": False,
    }
    app.config.update({key: settings.get(key, value) for key, value in defaults.items()})


def _hub() -> Hub:
    return current_app.config["HUB"]


def csrf_token() -> str:
    """The session's CSRF token, made on first use (the sign-in form needs one too)."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_ok(sent: str | None) -> bool:
    expected = session.get("csrf")
    return bool(expected and sent) and hmac.compare_digest(expected.encode(), sent.encode())


def _fingerprint(clerk: Staff) -> str:
    # Keyed, so the cookie (readable by its holder) tells nothing about the hash itself.
    key = signing_key(current_app).encode()
    return hmac.new(key, clerk.password_hash.encode(), hashlib.sha256).hexdigest()[:32]


def current_clerk() -> Staff | None:
    """The clerk this request's session belongs to, or None (once per request)."""
    if "clerk" in g:
        return g.clerk
    clerk = None
    clerk_id = session.get("clerk")
    if clerk_id is not None:
        clerk = _hub().config.member(clerk_id)
        signed_in = session.get("at", 0)
        if (clerk is None
                or clerk.disabled
                or not hmac.compare_digest(session.get("pw", ""), _fingerprint(clerk))
                or _hub().now().timestamp() - signed_in > SHIFT.total_seconds()
                or _hub().session_ended(session.get("sid", ""))):
            clerk = None
            session.clear()  # the browser drops the dead cookie
    g.clerk = clerk
    return clerk


def sign_in(clerk: Staff) -> None:
    # A new session, not the sign-in page's: nothing planted before sign-in survives it.
    session.clear()
    session.permanent = True
    session.update(clerk=clerk.id, sid=secrets.token_urlsafe(18), at=_hub().now().timestamp(),
                   pw=_fingerprint(clerk), csrf=secrets.token_urlsafe(32))
    g.clerk = clerk


def sign_out() -> None:
    sid = session.get("sid")
    if sid:
        _hub().end_session(sid, session.get("at", 0) + SHIFT.total_seconds())
    session.clear()
    g.clerk = None
