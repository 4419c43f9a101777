"""/admin, the staff web console: the hall's administration for an admin, and the floor (every
window with its line, "call this one", reopening a closed window) for a supervisor and an admin.

The page holds no hall data: admin.js reads /api/hall, /api/admin/config, /api/windows/<id> and
/api/admin/audit, makes its changes through /api/admin/..., /api/notices and the window actions
with the session's CSRF token, and follows the event stream. Sign-in is the console's (same
session, CSRF and lockout): a signed-out visitor is sent there and back.
"""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, url_for

from .clerk_session import csrf_token, current_clerk
from .console import CSP

bp = Blueprint("admin", __name__, url_prefix="/admin")

# The page's sections, in the order of its tabs: (id, (zh, en), the roles that see it).
SECTIONS = (
    ("floor", ("窗口一览", "Windows now"), ("supervisor", "admin")),
    ("services", ("业务", "Services"), ("admin",)),
    ("windows", ("窗口设置", "Window setup"), ("admin",)),
    ("notices", ("公告", "Notices"), ("admin",)),
    ("devices", ("设备", "Devices"), ("admin",)),
    ("staff", ("工作人员", "Staff"), ("admin",)),
    ("rules", ("叫号规则", "Queue rules"), ("admin",)),
    ("hall", ("大厅", "Hall"), ("admin",)),
    ("audit", ("操作记录", "Audit log"), ("admin",)),
)
HOME = "/admin"


@bp.after_request
def _headers(response):
    response.headers["Cache-Control"] = "no-store"  # the page carries the CSRF token
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = CSP
    return response


def supervisors_only(onward: str, title: tuple[str, str]):
    """(the signed-in supervisor or admin, None), or (None, the answer for anyone else): the
    console's sign-in and back to `onward` (a literal path: what the sign-in form keeps and
    checks), or for a clerk a page titled `title` that points them to their console."""
    member = current_clerk()  # first: a dead session is cleared, and the token must outlive that
    if member is None:
        return None, redirect(f"{url_for('console.login_form')}?next={onward}")
    if not member.supervises:
        return None, (render_template(
            "console_message.html", hall=current_app.config["HUB"].config, clerk=member,
            csrf=csrf_token(), title=title,
            text=(f"{member.name}（{member.id}）是窗口工作人员，请使用您窗口的叫号控制台。",
                  f"{member.id} is a clerk: please use your window's console.")), 403)
    return member, None


@bp.get("")
@bp.get("/")
def home():
    member, refused = supervisors_only(HOME, ("此页面仅供值班主任和管理员使用",
                                              "This page is for supervisors and administrators"))
    if refused:
        return refused
    hall = current_app.config["HUB"].config
    sections = [(sid, label) for sid, label, roles in SECTIONS if member.role in roles]
    return render_template("admin.html", hall=hall, clerk=member, csrf=csrf_token(),
                           sections=sections, shown={sid for sid, _ in sections})
