"""Bearer tokens from the hall config, and what each role may do."""
from __future__ import annotations

import hmac

from flask import current_app, request

from ..config.model import Device
from .errors import ApiError

# Which roles may do what; `admin` may do everything.
ISSUE = ("kiosk", "admin")
ACT_ON_WINDOWS = ("buttons", "console", "admin")
READ_STATS = ("display", "admin")
ADMIN = ("admin",)


def current_device() -> Device | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    token = token.strip()
    for device in current_app.config["HALL"].devices:
        # Compare every token in constant time: the response time must not leak a prefix.
        if hmac.compare_digest(device.token.encode(), token.encode()):
            return device
    return None


def require(roles: tuple[str, ...], window_id: str | None = None) -> Device:
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
