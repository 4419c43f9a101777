"""Request bodies held to MAX_CONTENT_LENGTH whether or not they say their length.

A body with Content-Length over the limit is refused by werkzeug before it is read. A chunked
body has no length: cheroot decodes it and marks the stream terminated (`wsgi.input_terminated`),
so werkzeug wraps it in a LimitedStream with the limit as a maximum, but its `readall` stops at
the limit and returns what it has, as if the body ended there: a 20 KB JSON body came out as its
first 16 KB and failed to parse (400 instead of 413). Here a body that reaches the limit is probed
for one more byte; if there is one, it is too large.
"""
from __future__ import annotations

import typing as t

from flask import Request, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream

# After refusing a body, this much more of it is read and dropped, so the client, still sending,
# is not reset before it reads the 413 (cheroot closes the connection after a 413). A client
# sending more than this gets the reset: a worker is not held for an endless body.
DRAIN_BYTES = 1024 * 1024


class _MaxStream(LimitedStream):
    """A stream of unknown length, at most `limit` bytes; more is 413 Payload Too Large."""

    def __init__(self, stream: t.IO[bytes], limit: int) -> None:
        super().__init__(stream, limit, is_max=True)

    def readall(self) -> bytes:
        data = super().readall()
        if self.is_exhausted:
            self.on_exhausted()  # raises when there is more than the limit
        return data

    def on_exhausted(self) -> None:
        # Called by LimitedStream when a read finds the limit reached.
        if self._stream.read(1):
            self._drain()
            raise RequestEntityTooLarge()

    def _drain(self) -> None:
        left = DRAIN_BYTES
        while left > 0:
            try:
                data = self._stream.read(min(left, 64 * 1024))
            except (OSError, ValueError):  # a broken chunk or a gone client: nothing to save
                return
            if not data:
                return
            left -= len(data)


class HallRequest(Request):
    @cached_property
    def stream(self) -> t.IO[bytes]:
        if self.shallow:
            raise RuntimeError("This request was created with shallow=True: no body to read")
        limit = self.max_content_length
        env = self.environ
        if limit is not None and env.get("wsgi.input_terminated") and self.content_length is None:
            return _MaxStream(env["wsgi.input"], limit)
        return get_input_stream(env, max_content_length=limit)


# A whole hall's TOML (PUT /api/admin/config) is ~40 KB for the reference hall's 115 services;
# this leaves room for a hall several times larger, and only an administrator gets it.
HALL_FILE_BYTES = 1024 * 1024


def allow_body(limit: int) -> None:
    """Raise the body limit for this request only; call it after the caller is known to be
    allowed, and before the body is read (the limit is taken when the stream is opened)."""
    request.max_content_length = limit
