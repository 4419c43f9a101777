"""Chinese text rules shared by everything that lays text out: the printer's columns, the
kiosk's and the display's pixels."""

# Line-breaking rules (禁则): closing punctuation never starts a line, opening never ends one.
NO_LINE_START = frozenset("，。、；：？！）》」』】〉〕”’…—,.;:?!)]}%")
NO_LINE_END = frozenset("（《「『【〈〔“‘([{")


def is_cjk(ch: str) -> bool:
    """A character of the CJK blocks (or later): Chinese breaks between any two of them."""
    return ord(ch) >= 0x2E80
