"""Request bodies over MAX_BODY_BYTES are 413 payload_too_large, with or without Content-Length:
a chunked body (no length) must not be cut at the limit and parsed as if it ended there."""
from __future__ import annotations

import http.client
import io
import json
import threading

import pytest
from helpers import ADMIN

from hallcall.server.web import MAX_BODY_BYTES
from hallcall.server.wsgi import make_server


def notices_body(size: int) -> bytes:
    """A valid PUT /api/notices body of exactly `size` bytes."""
    base = {"notices": [{"zh": "公告", "en": ""}]}
    filler = size - len(json.dumps(base).encode())
    base["notices"][0]["en"] = "x" * filler
    body = json.dumps(base).encode()
    assert len(body) == size
    return body


def put_chunked(client, body: bytes):
    # No usable Content-Length, the stream marked terminated: how cheroot hands over a chunked
    # body it decodes (werkzeug ignores the length when Transfer-Encoding is chunked).
    return client.put("/api/notices", input_stream=io.BytesIO(body),
                      environ_overrides={"wsgi.input_terminated": True},
                      headers={**ADMIN, "Content-Type": "application/json",
                               "Transfer-Encoding": "chunked"})


def test_a_chunked_body_over_the_limit_is_413_and_changes_nothing(client):
    before = client.get("/api/hall").json["notices"]
    r = put_chunked(client, notices_body(MAX_BODY_BYTES + 4000))
    assert r.status_code == 413 and r.json["error"]["code"] == "payload_too_large"
    assert r.json["error"]["message_zh"]
    assert client.get("/api/hall").json["notices"] == before


def test_a_chunked_body_at_the_limit_is_accepted(client):
    r = put_chunked(client, notices_body(MAX_BODY_BYTES))
    assert r.status_code == 200, r.get_data(as_text=True)
    assert len(r.json["notices"][0]["en"]) > 16000


def test_a_body_with_content_length_over_the_limit_is_413(client):
    r = client.put("/api/notices", data=notices_body(MAX_BODY_BYTES + 1),
                   headers={**ADMIN, "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json["error"]["code"] == "payload_too_large"


@pytest.fixture
def cheroot_url(app):
    server = make_server(app, "127.0.0.1", 0, 4)
    server.prepare()
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        yield server.bind_addr[1]
    finally:
        server.stop()
        thread.join(5)


def send_chunked(port: int, body: bytes):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        chunks = (body[i:i + 1000] for i in range(0, len(body), 1000))
        conn.request("PUT", "/api/notices", body=chunks, encode_chunked=True,
                     headers={**ADMIN, "Content-Type": "application/json"})
        r = conn.getresponse()
        return r.status, json.loads(r.read())
    finally:
        conn.close()


@pytest.mark.slow
def test_chunked_bodies_through_the_real_server(cheroot_url):
    status, body = send_chunked(cheroot_url, notices_body(20 * 1024))
    assert status == 413 and body["error"]["code"] == "payload_too_large", body
    status, body = send_chunked(cheroot_url, notices_body(2000))
    assert status == 200 and body["notices"][0]["zh"] == "公告", body
