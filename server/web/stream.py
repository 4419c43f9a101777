"""GET /api/events: the live event stream (Server-Sent Events)."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from ..hub import Hub
from .errors import bad_request

bp = Blueprint("stream", __name__, url_prefix="/api")

# API.md promises a comment line at least every 15 s; a little less leaves room for scheduling.
HEARTBEAT_S = 10.0


def _position() -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.args.get("after")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise bad_request(f"Last-Event-ID / after must be a sequence number, not {raw!r}",
                          "事件序号无效")
    return int(raw)


@bp.get("/events")
def events():
    hub: Hub = current_app.config["HUB"]
    heartbeat = current_app.config.get("SSE_HEARTBEAT_S", HEARTBEAT_S)
    bus = hub.bus
    after = _position()
    # No position: only new events. A position beyond the newest (the file was replaced) is
    # treated as "now" rather than waiting for numbers that may never come.
    seq = bus.last_seq if after is None else min(after, bus.last_seq)

    def generate():
        nonlocal seq
        # Sent at once, so the client knows it is connected before the first event.
        yield b"retry: 2000\n: connected\n\n"
        while True:
            if not bus.covers(seq):
                backlog = hub.events_after(seq, limit=500)
                if backlog:
                    seq = backlog[-1].seq
                    yield b"".join(e.frame for e in backlog)
                    continue
            fresh = bus.wait_after(seq, heartbeat)
            if fresh is None:  # the hub is shutting down
                return
            if not fresh:
                yield b": keep-alive\n\n"
                continue
            seq = fresh[-1].seq
            yield b"".join(e.frame for e in fresh)

    return Response(generate(), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
