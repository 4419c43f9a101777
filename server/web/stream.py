"""GET /api/events: the live event stream (Server-Sent Events)."""
from __future__ import annotations

import socket
from collections.abc import Callable

from flask import Blueprint, Response, current_app, g, request

from ..config.model import Device
from ..fanout import sse_frames
from ..hub import Hub
from .auth import current_device
from .errors import bad_request

bp = Blueprint("stream", __name__, url_prefix="/api")

# The API promises a comment line at least every 15 s; a little less leaves room for scheduling.
HEARTBEAT_S = 10.0
# Our cheroot gateway puts the request here, so the stream can hand its socket to the fan-out
# writer (server/fanout.py). Under any other WSGI server each stream keeps its own thread.
STREAM_REQUEST = "hallcall.request"
# Set in the environ once the fan-out writer has the socket (the access log then knows that the
# end of the response is not the end of the stream).
HANDED_OVER = "hallcall.handed_over"
# A callable the access log may put in the environ: called once when the stream's connection
# ends, by whichever thread serves it then (this one, or the fan-out writer).
ON_STREAM_END = "hallcall.on_stream_end"


def _position() -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.args.get("after")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise bad_request(f"Last-Event-ID / after must be a sequence number, not {raw!r}",
                          "事件序号无效")
    return int(raw)


def _device(hub: Hub) -> Device | None:
    """The device whose stream this is, by its token in the Authorization header or in
    `?token=` (a browser's EventSource cannot send headers). The stream is public: a wrong
    token is simply not counted, and the stream is served all the same."""
    device = current_device()
    token = request.args.get("token", "").strip()
    if device is None and token:
        device = g.device = hub.config.device_by_token(token)  # the access log names it too
        hub.sightings.saw(device)
    return device


def _both(first: Callable[[], None] | None, then: Callable[[], None]) -> Callable[[], None]:
    def ended() -> None:
        try:
            if first is not None:
                first()
        finally:
            then()
    return ended


@bp.get("/events")
def events():
    hub: Hub = current_app.config["HUB"]
    heartbeat = current_app.config.get("SSE_HEARTBEAT_S", HEARTBEAT_S)
    bus = hub.bus
    after = _position()
    device = _device(hub)
    # No position: only new events. A position beyond the newest (the file was replaced) is
    # treated as "now" rather than waiting for numbers that may never come.
    seq = bus.last_seq if after is None else min(after, bus.last_seq)

    def catch_up():
        """Backlog from the store until the in-memory buffer covers the client's position."""
        nonlocal seq
        while not bus.covers(seq):
            backlog = hub.events_after(seq, limit=500)
            if not backlog:
                return
            seq = backlog[-1].seq
            yield sse_frames(backlog)

    def generate():
        nonlocal seq
        # Counted from the first byte on: a generator never started is never closed either.
        # The end is noticed when a write fails, at the latest at the next keep-alive.
        ended = hub.sightings.stream_opened(device.id) if device is not None else None
        try:
            # Sent at once, so the client knows it is connected before the first event.
            yield b"retry: 2000\n: connected\n\n"
            while True:
                yield from catch_up()
                fresh = bus.wait_after(seq, heartbeat)
                if fresh is None:  # the hub is shutting down
                    return
                if not fresh:
                    yield b": keep-alive\n\n"
                    continue
                seq = fresh[-1].seq
                yield sse_frames(fresh)
        finally:
            if ended is not None:
                ended()

    environ = request.environ

    def hand_over(req, fanout):
        """Under our cheroot server: send headers and backlog, then give the socket to the
        fan-out writer, and this worker thread back to the pool."""
        yield b"retry: 2000\n: connected\n\n"
        yield from catch_up()
        conn = req.conn
        sock = socket.socket(fileno=conn.socket.detach())
        chunked = req.chunked_write
        # cheroot must neither end the chunked body, nor read another request from this
        # connection, nor shut it down: the connection belongs to the fan-out writer now.
        req.chunked_write = False
        req.close_connection = True
        conn.linger = True
        environ[HANDED_OVER] = True
        on_close = environ.get(ON_STREAM_END)
        if device is not None:  # seen while the writer holds its connection
            on_close = _both(on_close, hub.sightings.stream_opened(device.id))
        fanout.attach(sock, seq, chunked, on_close=on_close)

    req = request.environ.get(STREAM_REQUEST)
    fanout = current_app.config.get("FANOUT")
    body = hand_over(req, fanout) if req is not None and fanout is not None else generate()
    return Response(body, mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
