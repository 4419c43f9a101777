"""Bearer tokens from the hall config, what each role may do, and clerks signed in at a window."""
from __future__ import annotations

from flask import current_app, g, request

from ..audit import Actor
from ..config.model import Device
from .clerk_session import CSRF_HEADER, csrf_ok, current_clerk
from .errors import ApiError

# Which roles may do what; `admin` may do everything.
ISSUE = ("kiosk", "admin")
ACT_ON_WINDOWS = ("buttons", "console", "admin")
READ_STATS = ("display", "admin")
ADMIN = ("admin",)


def current_device() -> Device | None:
    """The device of this request's bearer token, or None (once per request; the access log
    names it too)."""
    if "device" in g:
        return g.device
    g.device = None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    # By the token's SHA-256 (the hall keeps no token itself): a lookup by a hash of the
    # secret tells nothing of it, however long it takes.
    g.device = current_app.config["HUB"].config.device_by_token(token.strip())
    current_app.config["HUB"].sightings.saw(g.device)  # online, for the staff's overview
    return g.device


def actor_of(device: Device) -> Actor:
    """Who the audit log names for a request made as `device` (see `require`)."""
    if device.id.startswith(STAFF_PREFIX):  # a signed-in member of staff
        return Actor("staff", device.id.removeprefix(STAFF_PREFIX))
    return Actor("admin" if device.role == "admin" else "device", device.id)


def current_actor() -> Actor:
    """Who this request acts as (after `require`); a request with neither token nor session is
    the citizen's (the phone page)."""
    device = g.get("device")
    return actor_of(device) if device is not None else Actor("citizen")


STAFF_PREFIX = "clerk:"  # a signed-in member of staff, as the access log and the audit name them
EVERY_STAFF_ROLE = ("clerk", "supervisor", "admin")


def require(roles: tuple[str, ...], window_id: str | None = None,
            staff: tuple[str, ...] | None = None) -> Device:
    """The device allowed to do this, or an error. A bearer token, when sent, takes precedence;
    without one, a signed-in member of staff whose role is in `staff` stands in (default: at a
    window, every role, a clerk only at their own windows; elsewhere, nobody)."""
    if "Authorization" not in request.headers:
        if staff is None:
            staff = EVERY_STAFF_ROLE if window_id is not None and "console" in roles else ()
        if staff:
            member = staff_standing_in(staff, window_id)
            if member is not None:
                g.device = member
                return member
    device = current_device()
    if device is None:
        raise ApiError(401, "unauthorized", "A valid 'Authorization: Bearer <token>' is required",
                       "缺少或无效的访问令牌", {"WWW-Authenticate": 'Bearer realm="hallcall"'})
    if device.role not in roles:
        raise ApiError(403, "forbidden", f"Device {device.id} ({device.role}) may not do this",
                       "该设备无权执行此操作")
    if window_id is not None and device.role != "admin" and not device.may_act_on(window_id):
        raise ApiError(403, "forbidden", f"Device {device.id} is not bound to window {window_id}",
                       "该设备未绑定此窗口")
    return device


SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
ROLE_ZH = {"clerk": "窗口工作人员", "supervisor": "值班主任", "admin": "管理员"}


def staff_standing_in(roles: tuple[str, ...], window_id: str | None = None) -> Device | None:
    """The signed-in member of staff as a device, if their role is one of `roles` and (at a
    window) they may act there; None when nobody is signed in. A change also needs the
    session's CSRF token: the cookie alone, which the browser adds by itself, must not be
    enough. An admin stands in as the admin device; anyone else as a console device bound to
    their windows (a supervisor's: all)."""
    member = current_clerk()
    if member is None:
        return None
    if request.method not in SAFE_METHODS and not csrf_ok(request.headers.get(CSRF_HEADER)):
        raise ApiError(403, "forbidden",
                       f"The {CSRF_HEADER} header is missing or does not match this session; "
                       "reload the page", "页面已过期，请刷新页面后重试")
    if member.role not in roles:
        wanted = " or ".join(roles)
        raise ApiError(403, "forbidden", f"{member.id} is a {member.role}; this needs a {wanted}",
                       f"您的角色（{ROLE_ZH.get(member.role, member.role)}）无权执行此操作")
    if window_id is not None and not member.may_act_on(window_id):
        raise ApiError(403, "forbidden", f"Clerk {member.id} is not bound to window {window_id}",
                       "您无权操作该窗口")
    return Device(id=f"{STAFF_PREFIX}{member.id}",
                  role="admin" if member.role == "admin" else "console", token_sha256="",
                  windows=member.windows if member.role == "clerk" else None,
                  rate_limit_per_minute=None)
