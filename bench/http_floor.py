"""What the hub's HTTP stack alone sustains on this machine: the ceiling under bench/hub.py --flat-out.

    python bench/http_floor.py [--seconds 10] [--kiosks 12] [--app flask|wsgi]

Serves, on the hub's own server (server/wsgi.py's make_server: cheroot, 40 threads, the same
switch interval), an app that answers `POST /api/tickets` at once with a ticket-shaped JSON body
and does nothing else: `flask` is a one-route Flask app (parsing the JSON body and answering with
jsonify, as the hub's route does), `wsgi` a bare WSGI callable. The same kiosk clients as
bench/hub.py (hallcall.hallclient.HubClient, one keep-alive connection per thread, in a process of
their own) issue flat out. The hub can only be slower than this: whatever the figure, the hub's
flat-out figure is this stack's plus the hub's own work per ticket.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import threading
import time

from benchlib import free_port

from hallcall.hallclient import HubClient

BODY = (b'{"ticket":{"id":"0123456789abcdef","number":"A001","service":"company-name",'
        b'"priority":"normal","status":"waiting","token":"tok"},"ahead":0,"estimated_wait_s":0}')


def flask_app():
    from flask import Flask, jsonify, request

    app = Flask("floor")

    @app.post("/api/tickets")
    def issue():
        request.get_json()
        return jsonify(ticket={"id": "0123456789abcdef", "number": "A001", "status": "waiting"},
                       ahead=0, estimated_wait_s=0), 201

    return app


def wsgi_app(environ, start_response):
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("201 Created", [("Content-Type", "application/json"),
                                   ("Content-Length", str(len(BODY)))])
    return [BODY]


def serve(kind: str, port: int, ready) -> None:
    from hallcall.server.wsgi import make_server

    sys.setswitchinterval(0.0005)  # as run_server sets it for the hub
    server = make_server(flask_app() if kind == "flask" else wsgi_app, "127.0.0.1", port, 40)
    server.prepare()
    ready.set()
    server.serve()


def drive(url: str, kiosks: int, seconds: float, out) -> None:
    counts = [0] * kiosks
    end = time.monotonic() + seconds

    def kiosk(i: int) -> None:
        client = HubClient(url, token="floor")
        while time.monotonic() < end:
            client.issue("company-name")
            counts[i] += 1

    threads = [threading.Thread(target=kiosk, args=(i,)) for i in range(kiosks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put(sum(counts))


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--kiosks", type=int, default=12)
    parser.add_argument("--app", choices=("flask", "wsgi"), default="flask")
    args = parser.parse_args()
    port, ready, out = free_port(), mp.Event(), mp.Queue()
    server = mp.Process(target=serve, args=(args.app, port, ready), daemon=True)
    server.start()
    ready.wait(30)
    client = mp.Process(target=drive, args=(f"http://127.0.0.1:{port}", args.kiosks,
                                            args.seconds, out))
    before = cpu_seconds(server.pid)
    client.start()
    issued = out.get()
    client.join()
    used = cpu_seconds(server.pid) - before
    server.terminate()
    print(f"HTTP stack alone ({args.app} on the hub's cheroot server), {args.kiosks} kiosks flat "
          f"out for {args.seconds:g} s, {os.cpu_count()} cores:")
    print(f"  {issued / args.seconds:7.1f} requests/s; server CPU {used / issued * 1000:.2f} ms "
          f"a request ({used / args.seconds * 100:.0f}% of one core)")


if __name__ == "__main__":
    main()
