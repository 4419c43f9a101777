"""The demo hall publishes the service guide for every service (API.md), plausibly per service,
and a handful of its services take bookings; it survives the TOML export and back."""
from __future__ import annotations

from hallcall.server.config import parse_config
from hallcall.server.config.dump import config_dict, config_toml


def test_every_demo_service_has_its_whole_guide(demo_config):
    for s in demo_config.services:
        g = s.guide
        assert len(g.procedure) >= 3, s.id
        assert g.time_limit and g.fees and g.result and g.responsible and g.samples, s.id
        for text in (*g.procedure, g.time_limit, g.fees, g.result, g.responsible,
                     *(x.name for x in g.samples)):
            assert text.zh.strip() and text.en.strip(), (s.id, text)


def test_the_demo_guide_is_specific_to_each_service(demo_config):
    guides = [s.guide for s in demo_config.services]
    # What the citizen receives differs per service; the offices and time limits vary too.
    assert len({g.result.zh for g in guides}) == len(guides)
    assert len({g.responsible.zh for g in guides}) >= len(demo_config.departments)
    assert len({g.time_limit.zh for g in guides}) >= 5
    assert any(g.fees.zh != "不收费" for g in guides)  # a fee somewhere (real estate)
    # Each service's sample form is one of the forms it asks for, or the one it hands out.
    for s in demo_config.services:
        assert any(m.zh in x.name.zh for m in s.materials for x in s.guide.samples) or \
            len(s.guide.samples) == 1, s.id


def test_a_handful_of_demo_services_take_bookings(demo_config):
    booked = {s.id: s.appointments for s in demo_config.services if s.appointments}
    assert 8 <= len(booked) <= 12
    assert {"company-setup", "real-estate-transfer", "residence-permit"} <= set(booked)
    assert all(a.slot_minutes >= 15 and a.per_slot >= 1 and a.days_ahead >= 1 for a in booked.values())


def test_the_guide_and_bookings_round_trip_through_the_toml_export(demo_config):
    import tomllib

    again = parse_config(tomllib.loads(config_toml(demo_config)))
    assert [(s.guide, s.appointments) for s in again.services] == \
        [(s.guide, s.appointments) for s in demo_config.services]
    assert config_dict(again) == config_dict(demo_config)
