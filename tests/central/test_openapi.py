"""The central's served API description names exactly its routes, each with its methods."""
from __future__ import annotations


def test_the_description_names_exactly_the_centrals_routes(central):
    doc = central.client.get("/api/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    app = central.client.application
    served = {(str(rule), method.lower()) for rule in app.url_map.iter_rules()
              if str(rule).startswith("/api/") for method in rule.methods - {"HEAD", "OPTIONS"}}
    described = {(path, method) for path, item in doc["paths"].items() for method in item}
    assert described == served
