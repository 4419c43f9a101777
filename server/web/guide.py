"""The service guide (办事指南) for citizens: every service's "seven steps" on one searchable page,
one service per page, and a printable poster whose QR code leads to the guide.

Public and server-rendered, so a phone on the hall's Wi-Fi reads it without JavaScript (the search
is `?q=`; guide.js only filters as one types) and a poster can be printed from any browser.
"""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for

from ..config.model import HallConfig, Sample, Service, Text
from .errors import error_page

bp = Blueprint("guide", __name__)

MAX_QUERY = 100  # longer than any service name: a search that long matches nothing anyway

SERVICE_NOT_FOUND = ("?", Text("未找到该事项", "We couldn't find this service"),
                     Text("该事项不存在或已停止办理。请返回办事指南查找，或到导办台咨询工作人员。",
                          "It does not exist or is no longer offered. Please look it up in the "
                          "service guide, or ask at the help desk."))


def _config() -> HallConfig:
    return current_app.config["HUB"].config


def search_text(config: HallConfig, s: Service) -> str:
    """What a search looks in, lower-cased: the names, in both languages, and the prefix."""
    dept = next((d for d in config.departments if d.id == s.department), None)
    parts = [s.name.zh, s.name.en, s.prefix, s.id]
    if dept is not None:
        parts += [dept.name.zh, dept.name.en]
    return " ".join(parts).casefold()


def matches(config: HallConfig, s: Service, query: str) -> bool:
    # Every word must appear, so "company setup" and "企业 登记" narrow the list as one expects.
    haystack = search_text(config, s)
    return all(word in haystack for word in query.casefold().split())


def with_samples(s: Service) -> tuple[list[tuple[Text, Sample | None]], list[Sample]]:
    """Each material with the sample form named after it (the demo's "…（样表）"), and the samples
    that belong to no material: a citizen looks for the sample next to the form to fill in."""
    samples = list(s.guide.samples)
    pairs = []
    for m in s.materials:
        sample = next((x for x in samples if m.zh and m.zh in x.name.zh), None)
        if sample is not None:
            samples.remove(sample)
        pairs.append((m, sample))
    return pairs, samples


def _groups(config: HallConfig, query: str) -> list[tuple]:
    groups = []
    for d in config.departments:
        services = [s for s in config.live_services
                    if s.department == d.id and (not query or matches(config, s, query))]
        if services:
            groups.append((d, services))
    return groups


@bp.get("/guide")
def index():
    config = _config()
    query = request.args.get("q", "", type=str).strip()[:MAX_QUERY]
    groups = _groups(config, query)
    return render_template("guide.html", hall=config, query=query, groups=groups,
                           count=sum(len(services) for _, services in groups),
                           search_text=lambda s: search_text(config, s),
                           windows=config.windows_serving, materials=with_samples)


@bp.get("/guide/poster")
def poster():
    from .qr import qr_svg  # segno is loaded by the first poster, not by every hub process

    config = _config()
    url = url_for("guide.index", _external=True)
    return render_template("guide_poster.html", hall=config, url=url,
                           qr=qr_svg(url, scale=12, label="扫码查看办事指南 Scan for the service guide"))


@bp.get("/guide/<service_id>")
def service_page(service_id: str):
    config = _config()
    service = config.service(service_id)
    if service is None or service.retired:
        return error_page(404, SERVICE_NOT_FOUND, box_id="not-found")
    dept = next((d for d in config.departments if d.id == service.department), None)
    return render_template("guide_service.html", hall=config, s=service, department=dept,
                           windows=config.windows_serving(service.id), materials=with_samples(service))
