"""deploy/README.md is what a technician wires by: its key tables must say what the demo hall's
[[gpio.buttons]] says, with each BCM GPIO on the header pin it really has."""
from __future__ import annotations

import re

from deploy_support import DEPLOY

from hallcall.server.config import load_config

# The 40-pin header of every Raspberry Pi since the B+ (Pi 4 and 5 included): BCM GPIO -> pin.
HEADER = {2: 3, 3: 5, 4: 7, 14: 8, 15: 10, 17: 11, 18: 12, 27: 13, 22: 15, 23: 16, 24: 18,
          10: 19, 9: 21, 25: 22, 11: 23, 8: 24, 7: 26, 0: 27, 1: 28, 5: 29, 6: 31, 12: 32,
          13: 33, 19: 35, 16: 36, 26: 37, 20: 38, 21: 40}
GROUND = {6, 9, 14, 20, 25, 30, 34, 39}
ROW = re.compile(r"^\| (\w+) \| [^|]+ \| `(\w+)_pin` \| (\d+) \| (\d+) \|$")


def test_wiring_tables_match_the_demo_hall_and_the_header():
    guide = (DEPLOY / "README.md").read_text()
    rows = [ROW.match(line).groups() for line in guide.splitlines() if ROW.match(line)]
    documented = {(window, key): (int(bcm), int(pin)) for window, key, bcm, pin in rows}
    assert len(documented) == len(rows)  # no row twice

    wired = {}
    for entry in load_config().gpio.buttons:
        for key, bcm in entry.pins.items():
            wired[(entry.window, key)] = bcm
        if entry.led_pin is not None:
            wired[(entry.window, "led")] = entry.led_pin
    assert {k: bcm for k, (bcm, _) in documented.items()} == wired
    for (window, key), (bcm, pin) in documented.items():
        assert HEADER[bcm] == pin, f"window {window} {key}: GPIO{bcm} is pin {HEADER[bcm]}, not {pin}"

    # The ground pins the guide names, and the header drawing, agree with the header.
    assert "GND pins are 6, 9, 14, 20, 25, 30, 34 and 39" in " ".join(guide.split())
    for bcm, pin in HEADER.items():
        for drawn in re.findall(rf"GPIO{bcm} +\((\d+)\)|\((\d+)\) +GPIO{bcm}\b", guide):
            assert pin in {int(n) for n in drawn if n}, f"the drawing puts GPIO{bcm} elsewhere"
    for match in re.finditer(r"\((\d+)\) +GND|GND +\((\d+)\)", guide):
        assert int(match.group(1) or match.group(2)) in GROUND
