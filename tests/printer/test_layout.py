"""Wrapping and layout: CJK takes two columns, nothing runs off the paper."""
import pytest

from printer.layout import COLUMNS, Qr, Text, layout
from printer.wrap import width, wrap


def test_width_counts_full_width_characters_twice():
    assert width("A023") == 4
    assert width("企业名称") == 8
    assert width("身份证（复印件）") == 16


def test_wrap_breaks_chinese_anywhere_and_latin_at_spaces():
    lines = wrap("申请人身份证原件及复印件正反面复印在同一页上", 16)
    assert lines == ["申请人身份证原件", "及复印件正反面复", "印在同一页上"]
    assert wrap("Applicant's ID card, original and a copy", 16) == [
        "Applicant's ID", "card, original", "and a copy"]
    assert all(width(ln) <= 12 for ln in wrap("1. 全体投资人签署的指定代表证明", 12, indent=3))


def test_closing_punctuation_never_starts_a_line():
    lines = wrap("请携带身份证原件，复印件", 18)
    assert not any(ln.lstrip()[:1] in "，。" for ln in lines)


@pytest.mark.parametrize("paper", [58, 80])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_line_fits_the_paper(ticket, paper, lang):
    blocks = layout(ticket.__class__(**{**ticket.__dict__, "lang": lang}), paper)
    for b in blocks:
        if isinstance(b, Text):
            assert width(b.text) * b.size <= COLUMNS[paper], b


def test_the_ticket_says_what_a_citizen_needs(ticket):
    blocks = layout(ticket, 80)
    texts = [b.text for b in blocks if isinstance(b, Text)]
    big = [b for b in blocks if isinstance(b, Text) and b.size >= 3]
    assert [b.text for b in big] == ["A023"]
    assert "企业名称预先核准" in texts and "Company name pre-approval" in texts
    assert "前面还有 3 人" in texts and "预计等候约 9 分钟" in texts
    assert any("1号窗口" in t for t in texts)
    assert any("一次性告知单" in t for t in texts)
    assert [b.data for b in blocks if isinstance(b, Qr)] == [ticket.status_url]
    assert "绿色通道" not in texts
    green = layout(ticket.__class__(**{**ticket.__dict__, "priority": "green"}), 80)
    assert any(isinstance(b, Text) and b.text == "绿色通道" for b in green)
