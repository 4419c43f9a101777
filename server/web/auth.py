"""Bearer tokens from the hall config, what each role may do, and clerks signed in at a window."""
from __future__ import annotations

import hmac

from flask import current_app, g, request

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
    token = token.strip().encode()
    for device in current_app.config["HUB"].config.devices:
        # Compare every token in constant time: the response time must not leak a prefix.
        if hmac.compare_digest(device.token.encode(), token):
            g.device = device
    return g.device


def require(roles: tuple[str, ...], window_id: str | None = None) -> Device:
    """The device allowed to do this, or an error. At a window a signed-in clerk stands in for a
    console device bound to the clerk's windows; a bearer token, when sent, takes precedence."""
    if window_id is not None and "console" in roles and "Authorization" not in request.headers:
        clerk = clerk_at_window(window_id)
        if clerk is not None:
            g.device = clerk
            return clerk
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


def clerk_at_window(window_id: str) -> Device | None:
    """The signed-in clerk as a console device, if they may act at this window; None when nobody
    is signed in. A change also needs the session's CSRF token: the cookie alone, which the
    browser adds by itself, must not be enough."""
    clerk = current_clerk()
    if clerk is None:
        return None
    if request.method not in SAFE_METHODS and not csrf_ok(request.headers.get(CSRF_HEADER)):
        raise ApiError(403, "forbidden",
                       f"The {CSRF_HEADER} header is missing or does not match this session; "
                       "reload the console", "页面已过期，请刷新页面后重试")
    if not clerk.may_act_on(window_id):
        raise ApiError(403, "forbidden", f"Clerk {clerk.id} is not bound to window {window_id}",
                       "您无权操作该窗口")
    return Device(id=f"clerk:{clerk.id}", role="console", token="", windows=clerk.windows,
                  rate_limit_per_minute=None)
