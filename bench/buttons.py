"""Benchmark of the call keys: from the finger leaving the key (a mock pin going high) to the
`ticket.called` event on the hub's stream and to the window's LED lighting, with the agent as a
separate Pi would run it (HTTP to a hub in its own process), and the agent's memory.

    python bench/buttons.py [--presses 50]

The time includes the 60 ms the key waits for the contact to settle (buttons/keys.py), which is
the price of never calling two tickets on a bouncing key.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

from benchlib import percentiles, rss_mb, start_hub  # noqa: E402

from hallcall.hallclient import EventStream, HubClient  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=50)
    args = parser.parse_args()
    from gpiozero.pins.mock import MockFactory

    from hallcall.buttons import ButtonsAgent, HttpLink
    call_pin, led_pin, window, service = 17, 22, "3", "company-setup"

    with tempfile.TemporaryDirectory() as tmp:
        hub, url = start_hub(f"{tmp}/hall.db")
        factory = MockFactory()
        kiosk = HubClient(url, "demo-kiosk")
        try:
            for _ in range(args.presses):
                kiosk.issue(service)
            link = HttpLink(url, "demo-buttons")
            agent = ButtonsAgent(link.client.whoami()["gpio"], link, pin_factory=factory).start()
            while not agent.online:
                time.sleep(0.01)
            stream = EventStream(url, after=kiosk.hall()["last_event"], timeout=10)
            stream.connect()
            events = stream.events()
            to_event, to_led = [], []
            pin, led = factory.pin(call_pin), factory.pin(led_pin)
            for i in range(args.presses):
                if i:  # the clerk starts serving: the LED goes out before the next press
                    HubClient(url, "demo-console").window(window, "start")
                    while led.state:
                        time.sleep(0.001)
                pin.drive_low()
                time.sleep(0.08)  # a finger's press
                released = time.perf_counter()
                pin.drive_high()
                event = next(e for e in events if e.type == "ticket.called")
                to_event.append(time.perf_counter() - released)
                assert event.data["window"]["id"] == window
                while not led.state:
                    time.sleep(0.0005)
                to_led.append(time.perf_counter() - released)
                time.sleep(0.1)
            stream.close()
            print(f"key released -> ticket.called on the stream: {percentiles(to_event)}")
            print(f"key released -> window LED lit:             {percentiles(to_led)}")
            print(f"agent (this process) RSS: {rss_mb():.1f} MB")
            agent.close()
        finally:
            kiosk.close()
            hub.terminate()
            hub.wait(10)


if __name__ == "__main__":
    main()
