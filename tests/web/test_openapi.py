"""The hub's own API description (GET /api/openapi.json): it is a well-formed OpenAPI 3.1
document, it names exactly the routes the app has, and what the hub really answers fits it."""
from __future__ import annotations

import json
import re

import pytest
from helpers import ADMIN, BUTTONS, DISPLAY, KIOSK
from werkzeug.exceptions import MethodNotAllowed, NotFound

from hallcall.events import ALL_TYPES
from hallcall.server import __version__
from hallcall.server.engine.rules import WINDOW_ACTIONS

SERVICE, OTHER_SERVICE = "company-name", "company-change"  # both served by window 1 (demo hall)
METHODS = ("get", "put", "post", "delete", "patch")
PARAM = re.compile(r"\{([^}]+)\}")


@pytest.fixture
def doc(client):
    response = client.get("/api/openapi.json")  # public: no token
    assert response.status_code == 200 and response.is_json
    return response.json


def operations(doc):
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def sample(path: str) -> str:
    """A concrete URL for a documented path: every {parameter} filled with a plain value."""
    return PARAM.sub("p1", path)


# -- the document against the app's routes ---------------------------------------------------

def test_every_route_of_the_app_is_documented_with_its_methods(app, doc):
    adapter = app.url_map.bind("hub.test")
    reached = set()  # (endpoint, METHOD) that a documented operation leads to
    for path, method, _ in operations(doc):
        try:
            endpoint, _ = adapter.match(sample(path), method.upper())
        except (NotFound, MethodNotAllowed):
            continue  # the test below names it
        reached.add((endpoint, method.upper()))
    missing = sorted((rule.rule, m) for rule in app.url_map.iter_rules()
                     if rule.endpoint != "static"
                     for m in rule.methods - {"HEAD", "OPTIONS"}
                     if (rule.endpoint, m) not in reached)
    assert not missing, f"routes without an OpenAPI operation: {missing}"


def test_every_documented_operation_is_a_route_of_the_app(app, doc):
    adapter = app.url_map.bind("hub.test")
    wrong = []
    for path, method, _ in operations(doc):
        try:
            endpoint, _ = adapter.match(sample(path), method.upper())
        except (NotFound, MethodNotAllowed) as e:
            wrong.append((path, method, type(e).__name__))
            continue
        if endpoint == "static":
            wrong.append((path, method, "only the static files' route"))
    assert not wrong, f"documented but not served: {wrong}"


def test_each_window_action_has_its_own_operation(doc):
    # One route serves them all (/api/windows/<id>/<action>), so the route check alone would be
    # satisfied by one of them.
    documented = {m.group(1) for p in doc["paths"]
                  if (m := re.fullmatch(r"/api/windows/\{window_id\}/([a-z-]+)", p))}
    assert documented == set(WINDOW_ACTIONS)


def test_every_event_type_of_the_hub_is_documented(doc):
    event = doc["components"]["schemas"]["Event"]
    assert set(event["properties"]["type"]["enum"]) == set(ALL_TYPES)
    assert {part["properties"]["type"]["const"] for part in event["oneOf"]} == set(ALL_TYPES)


# -- the document as OpenAPI 3.1 --------------------------------------------------------------

def refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def resolve(doc, ref: str):
    assert ref.startswith("#/"), f"only local references: {ref}"
    node = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_the_document_is_openapi_3_1_with_every_reference_resolving(doc):
    assert re.fullmatch(r"3\.1\.\d+", doc["openapi"])
    assert doc["info"]["title"] and doc["info"]["version"] == __version__
    assert all(path.startswith("/") for path in doc["paths"])
    for ref in refs(doc):
        resolve(doc, ref)  # a KeyError names the dangling reference


def test_every_operation_is_complete(doc):
    schemes = doc["components"]["securitySchemes"]
    tags = {t["name"] for t in doc["tags"]}
    ids = [op["operationId"] for _, _, op in operations(doc)]
    assert len(ids) == len(set(ids)), "operationIds must be unique"
    for path, method, op in operations(doc):
        where = f"{method.upper()} {path}"
        assert op["summary"] and set(op["tags"]) <= tags, where
        params = [resolve(doc, p["$ref"]) if "$ref" in p else p
                  for p in doc["paths"][path].get("parameters", []) + op.get("parameters", [])]
        assert all(p["in"] in ("path", "query", "header", "cookie") for p in params), where
        in_path = {p["name"] for p in params if p["in"] == "path"}
        assert in_path == set(PARAM.findall(path)), where
        assert all(p["required"] is True for p in params if p["in"] == "path"), where
        assert op["responses"], where
        for status, response in op["responses"].items():
            assert re.fullmatch(r"[1-5]\d\d|default", status), where
            response = resolve(doc, response["$ref"]) if "$ref" in response else response
            assert response["description"], f"{where} {status}"
        # Public operations say so (an empty list); the others name schemes that exist.
        assert "security" in op, where
        for requirement in op["security"]:
            assert set(requirement) <= set(schemes), where


# -- what the hub answers against what the document says -------------------------------------

def schema_errors(doc, schema, value, at="$") -> list[str]:
    """Where `value` breaks `schema`: the JSON Schema keywords this document uses, no more."""
    if "$ref" in schema:
        return schema_errors(doc, resolve(doc, schema["$ref"]), value, at)
    errors = []
    kinds = schema.get("type")
    if kinds is not None:
        python = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None),
                  "integer": int, "number": (int, float)}
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(isinstance(value, python[k]) and not (isinstance(value, bool) and k != "boolean")
                   for k in kinds):
            return [f"{at}: {value!r} is not {' or '.join(kinds)}"]
    if "const" in schema and value != schema["const"]:
        errors.append(f"{at}: {value!r} is not {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{at}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        errors.append(f"{at}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, (int, float)) and value < schema.get("minimum", value):
        errors.append(f"{at}: {value} is below {schema['minimum']}")
    if isinstance(value, list):
        if len(value) > schema.get("maxItems", len(value)):
            errors.append(f"{at}: more than {schema['maxItems']} items")
        for i, item in enumerate(value):
            errors += schema_errors(doc, schema.get("items", {}), item, f"{at}[{i}]")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        errors += [f"{at}: no {name!r}" for name in schema.get("required", ()) if name not in value]
        for name, item in value.items():
            if name in properties:
                errors += schema_errors(doc, properties[name], item, f"{at}.{name}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{at}: {name!r} is not documented")
            elif isinstance(schema.get("additionalProperties"), dict):
                errors += schema_errors(doc, schema["additionalProperties"], item, f"{at}.{name}")
    for part in schema.get("allOf", ()):
        errors += schema_errors(doc, part, value, at)
    if "oneOf" in schema:
        fits = [part for part in schema["oneOf"] if not schema_errors(doc, part, value, at)]
        if len(fits) != 1:
            errors.append(f"{at}: fits {len(fits)} of oneOf, not exactly one")
    return errors


def check(doc, response, path: str, method: str) -> dict:
    """The response's status is documented for the operation, and its JSON fits that schema."""
    op = doc["paths"][path][method]
    documented = op["responses"].get(str(response.status_code))
    assert documented is not None, f"{method.upper()} {path} answered an undocumented " \
                                   f"{response.status_code}: {response.get_data(as_text=True)}"
    if "$ref" in documented:
        documented = resolve(doc, documented["$ref"])
    schema = documented["content"]["application/json"]["schema"]
    errors = schema_errors(doc, schema, response.json)
    assert not errors, f"{method.upper()} {path} {response.status_code}: {errors}"
    return response.json


def test_the_schema_check_finds_a_shape_that_breaks_the_document(doc):
    # Without this, a lenient check would let every test below pass whatever the hub answered.
    ticket = {"id": "t1", "number": "A001", "service": SERVICE, "priority": "normal",
              "status": "waiting", "issued_at": "2026-11-26T09:00:01+08:00", "called_at": None,
              "window": None, "started_at": None, "finished_at": None, "day": "2026-11-26",
              "origin_service": SERVICE, "transfers": 0, "cancel_reason": None,
              "first_called_at": None, "appointment": None}
    ticket_schema = {"$ref": "#/components/schemas/Ticket"}
    assert schema_errors(doc, ticket_schema, ticket) == []
    assert schema_errors(doc, ticket_schema, {**ticket, "status": "lost"})
    assert schema_errors(doc, ticket_schema, {**ticket, "colour": "red"})
    assert schema_errors(doc, ticket_schema, {k: v for k, v in ticket.items() if k != "number"})
    event = {"$ref": "#/components/schemas/Event"}
    called = {"seq": 2, "type": "ticket.called", "at": "2026-11-26T09:00:02+08:00",
              "ticket": ticket, "window": {"id": "1", "name": {"zh": "1号窗口", "en": "Window 1"}}}
    assert schema_errors(doc, event, called) == []
    assert schema_errors(doc, event, {**called, "type": "ticket.teleported"})
    assert schema_errors(doc, event, {k: v for k, v in called.items() if k != "window"})


def issue(client, service=SERVICE, headers=KIOSK, **body):
    return client.post("/api/tickets", json={"service": service, **body}, headers=headers)


def act(client, action, body=None, window="1", headers=BUTTONS):
    return client.post(f"/api/windows/{window}/{action}", json=body, headers=headers)


def test_a_hall_day_answers_as_documented(client, doc):
    check(doc, client.get("/api/health"), "/api/health", "get")
    key = {"Idempotency-Key": "touch-1"}
    first = check(doc, issue(client, headers={**KIOSK, **key}), "/api/tickets", "post")
    again = issue(client, headers={**KIOSK, **key})
    assert again.status_code == 200 and check(doc, again, "/api/tickets", "post") == first
    conflict = issue(client, OTHER_SERVICE, headers={**KIOSK, **key})
    assert check(doc, conflict, "/api/tickets", "post")["error"]["code"] == "idempotency_conflict"
    token = first["ticket"]["token"]
    check(doc, client.get(f"/api/tickets/{token}"), "/api/tickets/{token}", "get")
    check(doc, client.get("/api/tickets/no-such-token"), "/api/tickets/{token}", "get")

    window_path = "/api/windows/{{window_id}}/{}"
    assert check(doc, act(client, "recall"), window_path.format("recall"),
                 "post")["error"]["code"] == "nothing_called"
    for action, body in (("call-next", None), ("recall", None), ("start", None),
                         ("finish", {"rating": "satisfied"})):
        check(doc, act(client, action, body), window_path.format(action), "post")
    rated_twice = act(client, "rate", {"rating": "basic"})
    assert check(doc, rated_twice, window_path.format("rate"),
                 "post")["error"]["code"] == "already_rated"
    issue(client)
    for action, body in (("call-next", None), ("no-show", {"requeue": True}), ("call-next", None),
                         ("transfer", {"service": OTHER_SERVICE}), ("call-next", None),
                         ("finish", None), ("rate", {"rating": "satisfied"}), ("pause", None),
                         ("resume", None), ("close", None)):
        check(doc, act(client, action, body), window_path.format(action), "post")
    waiting = issue(client).json["ticket"]["token"]
    check(doc, client.post(f"/api/tickets/{waiting}/cancel"), "/api/tickets/{token}/cancel", "post")

    check(doc, client.get("/api/windows/1", headers=BUTTONS), "/api/windows/{window_id}", "get")
    check(doc, client.get("/api/stats", headers=DISPLAY), "/api/stats", "get")
    check(doc, client.get("/api/devices/self", headers=BUTTONS), "/api/devices/self", "get")
    check(doc, client.get("/api/devices/self", headers=KIOSK), "/api/devices/self", "get")
    status = {"printer": {"paper": "near_end", "online": True}}
    check(doc, client.post("/api/devices/status", json=status, headers=KIOSK),
          "/api/devices/status", "post")
    notices = {"notices": [{"zh": "今日开放", "en": "Open today"}]}
    check(doc, client.put("/api/notices", json=notices, headers=ADMIN), "/api/notices", "put")
    snapshot = check(doc, client.get("/api/hall"), "/api/hall", "get")
    assert snapshot["recent_calls"] and snapshot["devices"]


def test_refusals_answer_as_documented(client, doc):
    cases = [
        (client.post("/api/tickets", json={"service": SERVICE}), 401),
        (issue(client, headers=DISPLAY), 403),
        (issue(client, "no-such-service"), 404),
        (client.post("/api/tickets", data="{not json", headers=KIOSK), 400),
        (client.post("/api/tickets", headers=KIOSK), 400),  # no service
        (client.post("/api/tickets", data="x" * 20_000, headers=KIOSK), 413),
    ]
    for response, status in cases:
        assert response.status_code == status
        check(doc, response, "/api/tickets", "post")
    check(doc, act(client, "call-next", headers=KIOSK), "/api/windows/{window_id}/call-next", "post")
    check(doc, client.get("/api/stats?date=26.11.2026", headers=DISPLAY), "/api/stats", "get")


def test_the_event_stream_carries_documented_events(client, doc):
    issue(client)
    for action in ("call-next", "recall", "start", "finish", "pause"):
        act(client, action)
    client.put("/api/notices", json={"notices": [{"zh": "通知", "en": "Notice"}]}, headers=ADMIN)
    expected = client.get("/api/hall").json["last_event"]
    response = client.get("/api/events?after=0", buffered=False)
    seen = []
    try:
        assert response.mimetype in doc["paths"]["/api/events"]["get"]["responses"]["200"]["content"]
        chunks = iter(response.response)
        while len(seen) < expected:
            text = next(chunks)
            text = text.decode() if isinstance(text, bytes) else text
            seen += [json.loads(line[len("data: "):]) for line in text.splitlines()
                     if line.startswith("data: ")]
    finally:
        response.close()
    event = {"$ref": "#/components/schemas/Event"}
    for e in seen:
        assert schema_errors(doc, event, e) == [], e
    assert {e["type"] for e in seen} == {"ticket.issued", "ticket.called", "ticket.recalled",
                                         "ticket.started", "ticket.finished", "window.status",
                                         "notices.changed", "hall.changed"}
