"""A small HTTP client for the hub's JSON API (stdlib only: it runs on every device)."""
from __future__ import annotations

import http.client
import json
import threading
import uuid
from urllib.parse import quote, urlsplit


class HubError(Exception):
    """The hub answered with an error body, or could not be reached (status 0)."""

    def __init__(self, status: int, code: str, message: str, message_zh: str = ""):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.message_zh = status, code, message, message_zh


class HubClient:
    """One keep-alive connection per thread to the hub at `base_url`."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 5.0):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "localhost", parts.port or 8080
        self.token, self.timeout = token, timeout
        self._local = threading.local()

    def _conn(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def request(self, method: str, path: str, body: dict | None = None,
                headers: dict | None = None, repeatable: bool = False) -> tuple[int, dict]:
        """(status, JSON body). Raises HubError for 4xx/5xx and for connection failures."""
        status, payload, _ = self.exchange(method, path, body, headers, repeatable)
        return status, payload

    def exchange(self, method: str, path: str, body: dict | None = None,
                 headers: dict | None = None, repeatable: bool = False) -> tuple[int, dict, dict]:
        """Like `request`, also returning the response headers (lower-case names).
        `repeatable`: the request gives the same answer however often it is sent."""
        data = json.dumps(body).encode() if body is not None else None
        hdrs = {"Accept": "application/json"}
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        if self.token:
            hdrs["Authorization"] = f"Bearer {self.token}"
        hdrs.update(headers or {})
        for attempt in (1, 2):
            conn = self._conn()
            try:
                conn.request(method, path, body=data, headers=hdrs)
                resp = conn.getresponse()
                raw = resp.read()
                break
            except (ConnectionError, http.client.HTTPException, OSError) as exc:
                self.close()
                # A kept-alive connection the server closed fails on first use; retry it once.
                # Only the idempotent or idempotency-keyed requests are safe to repeat.
                if attempt == 2 or not (method == "GET" or repeatable or "Idempotency-Key" in hdrs):
                    raise HubError(0, "unreachable", f"hub not reachable: {exc}",
                                   "无法连接服务器") from exc
        try:
            payload = json.loads(raw) if raw else {}
        except ValueError:
            payload = {}
        if resp.status >= 400:
            err = payload.get("error", {}) if isinstance(payload, dict) else {}
            raise HubError(resp.status, err.get("code", "http_error"),
                           err.get("message", raw[:200].decode("utf-8", "replace")),
                           err.get("message_zh", ""))
        return resp.status, payload, {k.lower(): v for k, v in resp.getheaders()}

    # -- the API ------------------------------------------------------------------------------

    def health(self) -> dict:
        return self.request("GET", "/api/health")[1]

    def hall(self) -> dict:
        return self.request("GET", "/api/hall")[1]

    def issue(self, service: str, priority: str | None = None, lang: str | None = None,
              idempotency_key: str | None = None) -> dict:
        """Issue a ticket. A retry with the same key returns the same ticket, never a second."""
        body = {"service": service}
        if priority:
            body["priority"] = priority
        if lang:
            body["lang"] = lang
        key = idempotency_key or uuid.uuid4().hex
        return self.request("POST", "/api/tickets", body, {"Idempotency-Key": key})[1]

    def check_in(self, code: str) -> dict:
        """Check in a booking at the kiosk by its 6-digit code: {"ticket", "ahead",
        "estimated_wait_s"}, the ticket's `appointment` saying its slot and whether it came late.
        A second check-in answers the same ticket, so sending it again after a lost answer is
        safe."""
        return self.request("POST", f"/api/appointments/{quote(code, safe='')}/check-in",
                            repeatable=True)[1]

    def ticket(self, token: str) -> dict:
        return self.request("GET", f"/api/tickets/{quote(token, safe='')}")[1]

    def window(self, window_id: str, action: str, body: dict | None = None) -> dict:
        return self.request("POST", f"/api/windows/{quote(window_id, safe='')}/{action}", body)[1]

    def call_next(self, window_id: str) -> dict:
        return self.window(window_id, "call-next")

    def whoami(self) -> dict:
        """This device as the hall config describes it: id, role, windows, exit_pin."""
        return self.request("GET", "/api/devices/self")[1]["device"]

    def report_status(self, printer: dict | None = None, message: str | None = None) -> dict:
        """Tell the hub how this device is, e.g. printer={"paper": "near_end", "online": True}."""
        body = {}
        if printer is not None:
            body["printer"] = printer
        if message is not None:
            body["message"] = message
        return self.request("POST", "/api/devices/status", body)[1]["device"]

    def stats(self, day: str | None = None) -> dict:
        return self.request("GET", "/api/stats" + (f"?date={day}" if day else ""))[1]
