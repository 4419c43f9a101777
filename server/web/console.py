"""The clerk console's pages: sign-in, sign-out, the window chooser and the console itself.

The console page holds no queue data: console.js reads GET /api/windows/<id>, acts through the
window actions of the API (with the session's CSRF token) and follows the event stream.
"""
from __future__ import annotations

import logging
import math
from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from ..config import HallConfig
from ..passwords import DEFAULT_METHOD, method_of, verify
from .clerk_session import CSRF_FIELD, csrf_ok, csrf_token, current_clerk, sign_in, sign_out
from .client_addr import client_address

log = logging.getLogger(__name__)

bp = Blueprint("console", __name__, url_prefix="/console")

# Scripts and styles only from the hub itself, and never inside another site's frame: a framed
# console could be clicked through by a page the clerk happens to open.
CSP = ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")

WRONG = ("工号或密码错误", "Wrong clerk ID or password")
MISSING = ("请输入工号和密码", "Please enter your clerk ID and password")
EXPIRED = ("页面已过期，请重新登录", "This page had expired; please sign in again")
SIGNED_OUT = ("您已退出登录", "You have signed out")
# A sign-in on the way to these is titled for all staff, not for clerks.
ADMIN_PATHS = ("/admin", "/admin/", "/admin/reports")


def _hall() -> HallConfig:
    return current_app.config["HUB"].config


@bp.after_request
def _headers(response):
    response.headers["Cache-Control"] = "no-store"  # pages carry the CSRF token
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = CSP
    return response


def _page(template: str, status: int = 200, **context):
    clerk = current_clerk()  # first: a dead session is cleared, and the token must outlive that
    return render_template(template, hall=_hall(), clerk=clerk, csrf=csrf_token(),
                           **context), status


def _message(status: int, title: tuple[str, str], text: tuple[str, str]):
    return _page("console_message.html", status, title=title, text=text)


def safe_next(value: str | None) -> str | None:
    """Where to go after signing in, if it is a path of this hub ("/admin"); None for anything
    else. An absolute URL ("https://elsewhere", "//elsewhere", "/\\elsewhere", which browsers
    read as another host) would make the sign-in page a way to send staff to a look-alike site
    that asks for their password again."""
    if not value or len(value) > 200 or not value.startswith("/") or value.startswith("//"):
        return None
    if "\\" in value or not value.isprintable() or any(c.isspace() for c in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value


def _login_page(status: int = 200, error=None, notice=None, clerk_id: str = "", headers=None):
    onward = safe_next(request.values.get("next"))
    body, status = _page("console_login.html", status, error=error, notice=notice,
                         clerk_id=clerk_id, window=request.values.get("window", "")[:64],
                         next=onward, to_admin=bool(onward) and urlsplit(onward).path in ADMIN_PATHS)
    return body, status, headers or {}


def _dummy_method() -> str:
    # The unknown-id check must cost what a real one costs: use the hall's own hash method.
    clerks = _hall().staff
    return method_of(clerks[0].password_hash) if clerks else DEFAULT_METHOD


@bp.get("/login")
def login_form():
    if current_clerk() is not None:
        return redirect(safe_next(request.args.get("next")) or url_for(".home"))
    return _login_page(notice=SIGNED_OUT if request.args.get("signed_out") else None)


@bp.post("/login")
def login():
    form = request.form
    clerk_id = form.get("clerk", "").strip()[:64]
    password = form.get("password", "")
    if not csrf_ok(form.get(CSRF_FIELD)):
        return _login_page(403, EXPIRED, clerk_id=clerk_id)
    if not clerk_id or not password:
        return _login_page(400, MISSING, clerk_id=clerk_id)
    throttle = current_app.config["LOGIN_THROTTLE"]
    address = client_address()
    clerk = _hall().member(clerk_id)
    if clerk is not None and clerk.disabled:
        clerk = None  # a disabled account signs in as an unknown id would: refused alike
    # Failures count against the clerk id: guessing one clerk's password locks that clerk only,
    # and clerks behind one proxy, or at one PC, do not lock each other out. Ids are
    # case-sensitive, but one count for all spellings, so W3 is not a fresh 5 tries. Only ids
    # nobody has also count per address, so trying made-up ids is not a fresh 5 tries each.
    keys = (f"clerk:{clerk_id.lower()}",) + (() if clerk else (f"addr:{address}",))
    wait = throttle.locked_for(*keys)
    if wait is not None:
        minutes = max(1, math.ceil(wait / 60))
        return _login_page(429, (f"登录失败次数过多，请 {minutes} 分钟后再试",
                                 f"Too many failed sign-ins; please try again in {minutes} "
                                 f"minute{'s' if minutes > 1 else ''}"),
                           clerk_id=clerk_id, headers={"Retry-After": str(math.ceil(wait))})
    if not verify(clerk.password_hash if clerk else None, password, _dummy_method()):
        throttle.failed(*keys)
        log.warning("console sign-in failed for %r from %s", clerk_id, address)
        return _login_page(401, WRONG, clerk_id=clerk_id)
    throttle.succeeded(keys[0])
    sign_in(clerk)
    log.info("clerk %s signed in from %s", clerk.id, address)
    wanted = form.get("window")
    onward = safe_next(form.get("next"))
    if onward:
        return redirect(onward, 303)
    if wanted and clerk.may_act_on(wanted):
        return redirect(url_for(".window_page", window_id=wanted), 303)
    return redirect(url_for(".home"), 303)


@bp.post("/logout")
def logout():
    if not csrf_ok(request.form.get(CSRF_FIELD)):
        return _message(403, ("页面已过期", "This page has expired"), (
            "请刷新页面后再退出登录。", "Please reload the page, then sign out again."))
    clerk = current_clerk()
    sign_out()
    if clerk is not None:
        log.info("clerk %s signed out", clerk.id)
    return redirect(url_for(".login_form", signed_out=1), 303)


@bp.get("")
@bp.get("/")
def home():
    clerk = current_clerk()
    if clerk is None:
        return redirect(url_for(".login_form"))
    hall = _hall()
    if clerk.supervises:  # a supervisor or an admin may work at any window
        windows = list(hall.live_windows)
    else:
        windows = [w for w in map(hall.window, clerk.windows) if w is not None and not w.retired]
        if len(windows) == 1:
            return redirect(url_for(".window_page", window_id=windows[0].id))
    return _page("console_choose.html", windows=windows)


@bp.get("/<window_id>")
def window_page(window_id: str):
    clerk = current_clerk()
    if clerk is None:
        return redirect(url_for(".login_form", window=window_id))
    window = _hall().window(window_id)
    if window is None or window.retired:
        return _message(404, ("没有该窗口", "No such window"), (
            f"本大厅没有 {window_id} 号窗口。", f"This hall has no window {window_id}."))
    if not clerk.may_act_on(window_id):
        return _message(403, ("这不是您的窗口", "This is not your window"),
                        (f"{clerk.name}（{clerk.id}）无权操作{window.name.zh}。",
                         f"{clerk.id} may not act at {window.name.en}."))
    return _page("console.html", window=window)
