"""Paper and online status through the real-time status requests DLE EOT n.

python-escpos's paper_status() calls an empty answer "paper OK"; here no answer is "unknown",
because a printer that does not answer may well be the one that is off or jammed."""
from __future__ import annotations

from dataclasses import dataclass

PRINTER_STATUS = b"\x10\x04\x01"
PAPER_SENSOR = b"\x10\x04\x04"


@dataclass(frozen=True)
class PrinterStatus:
    paper: str  # ok | near_end | out | unknown
    online: bool | None
    detail: str = ""

    @property
    def can_print(self) -> bool:
        return self.paper != "out" and self.online is not False

    def as_dict(self) -> dict:
        """What a kiosk reports to the hub (POST /api/devices/status, "printer")."""
        return {"paper": self.paper, "online": self.online, "detail": self.detail}


UNKNOWN = PrinterStatus("unknown", None, "the printer gave no status answer")


def parse(printer_byte: bytes, paper_byte: bytes) -> PrinterStatus:
    online = None
    if printer_byte:
        online = not printer_byte[0] & 0x08  # bit 3: off line
    paper = "unknown"
    if paper_byte:
        b = paper_byte[0]
        if b & 0x60:  # bits 5-6: roll paper end
            paper = "out"
        elif b & 0x0C:  # bits 2-3: roll paper near end
            paper = "near_end"
        else:
            paper = "ok"
    detail = "" if printer_byte and paper_byte else "the printer gave no status answer"
    return PrinterStatus(paper, online, detail)


def query(device) -> PrinterStatus:
    """Ask an open device; any silence or error is 'unknown', never 'ok'."""
    answers = []
    for request in (PRINTER_STATUS, PAPER_SENSOR):
        try:
            device._raw(request)
            answers.append(bytes(device._read() or b"")[:1])
        except Exception:
            answers.append(b"")
    return parse(*answers)
