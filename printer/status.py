"""Paper and online status through the real-time status requests DLE EOT n.

python-escpos's paper_status() calls an empty answer "paper OK"; here no answer is "unknown",
because a printer that does not answer may well be the one that is off or jammed.

Every answer byte has bits 1 and 4 set and bits 0 and 7 clear (ESC/POS, DLE EOT); a byte that
does not is not an answer (automatic status back, noise) and counts as none.
"""
from __future__ import annotations

from dataclasses import dataclass

PRINTER_STATUS = b"\x10\x04\x01"  # bit 3: off line
OFFLINE_CAUSE = b"\x10\x04\x02"  # bit 2: cover open, 3: feed button, 5: stopped at paper end, 6: error
PAPER_SENSOR = b"\x10\x04\x04"  # bits 2-3: roll near its end, bits 5-6: paper out
NO_ANSWER = "the printer gave no status answer"


@dataclass(frozen=True)
class PrinterStatus:
    paper: str  # ok | near_end | out | unknown
    online: bool | None  # None: unknown
    detail: str = ""

    @property
    def can_print(self) -> bool:
        return self.paper != "out" and self.online is not False

    def as_dict(self) -> dict:
        """What a kiosk reports to the hub (POST /api/devices/status, "printer")."""
        return {"paper": self.paper, "online": self.online, "detail": self.detail}


UNKNOWN = PrinterStatus("unknown", None, NO_ANSWER)


def is_answer(byte: bytes) -> bool:
    return len(byte) == 1 and byte[0] & 0x93 == 0x12


def paper_state(sensor: int) -> str:
    if sensor & 0x60:
        return "out"
    if sensor & 0x0C:
        return "near_end"
    return "ok"


def parse(printer: bytes, paper: bytes, offline_cause: bytes = b"") -> PrinterStatus:
    """From the answers to DLE EOT 1, 4 and (when off line) 2; b"" for no answer."""
    if not is_answer(printer):
        return UNKNOWN
    online = not printer[0] & 0x08
    state = paper_state(paper[0]) if is_answer(paper) else "unknown"
    details = []
    if is_answer(offline_cause):
        cause = offline_cause[0]
        if cause & 0x20:
            state = "out"  # it stopped printing at the paper end
        details += [text for bit, text in ((0x04, "cover open"), (0x08, "paper being fed"),
                                           (0x40, "printer error")) if cause & bit]
    if state == "out":
        details.insert(0, "paper out")
    elif state == "near_end":
        details.insert(0, "paper near end")
    elif state == "unknown":
        details.append("no paper sensor answer")
    if not online:
        details.append("offline")
    return PrinterStatus(state, online, ", ".join(details))


def _ask(device, request: bytes) -> bytes:
    try:
        device._raw(request)
        answer = bytes(device._read() or b"")
    except Exception:
        return b""
    return answer[-1:]  # the latest byte is the answer to this request


def query(device) -> PrinterStatus:
    """Ask an open device; any silence or error is 'unknown', never 'ok'. A printer silent to
    the first request is not asked again: the kiosk waits for one timeout, not three."""
    printer = _ask(device, PRINTER_STATUS)
    if not is_answer(printer):
        return UNKNOWN
    cause = _ask(device, OFFLINE_CAUSE) if printer[0] & 0x08 else b""
    return parse(printer, _ask(device, PAPER_SENSOR), cause)


def from_cups(attributes: dict) -> PrinterStatus:
    """A CUPS queue's state: CUPS knows whether the printer is reachable and, from drivers that
    report it, the paper; a raw queue usually cannot see the roll."""
    reasons = attributes.get("printer-state-reasons") or []
    if isinstance(reasons, str):
        reasons = [reasons]
    base = {r.rsplit("-", 1)[0] if r.endswith(("-report", "-warning", "-error")) else r
            for r in reasons}
    paper = "unknown"
    if base & {"media-empty", "media-needed"}:
        paper = "out"
    elif "media-low" in base:
        paper = "near_end"
    online = not (attributes.get("printer-state") == 5 or base & {"offline", "paused", "shutdown"})
    detail = ", ".join(sorted(r for r in reasons if r != "none"))
    return PrinterStatus(paper, online, detail or "CUPS cannot see the paper")
