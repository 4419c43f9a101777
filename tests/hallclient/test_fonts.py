import pytest

from hallcall.hallclient import fonts


def test_noto_cjk_resolves_to_its_simplified_chinese_face(monkeypatch, tmp_path):
    noto = tmp_path / "noto" / "NotoSansCJK-Regular.ttc"
    noto.parent.mkdir()
    noto.write_bytes(b"")
    monkeypatch.setattr(fonts, "FONT_DIRS", [str(tmp_path)])
    monkeypatch.setattr(fonts, "_cache", {})
    monkeypatch.delenv("HALLCALL_FONT", raising=False)
    assert fonts.cjk_font() == fonts.FontFace(str(noto), 2)


def test_override_and_missing_fonts(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "FONT_DIRS", [str(tmp_path)])
    monkeypatch.setattr(fonts, "_cache", {})
    monkeypatch.delenv("HALLCALL_FONT", raising=False)
    with pytest.raises(fonts.FontNotFound, match="fonts-noto-cjk"):
        fonts.cjk_font()
    font = tmp_path / "x.ttf"
    font.write_bytes(b"")
    monkeypatch.setenv("HALLCALL_FONT", f"{font}:1")
    assert fonts.cjk_font() == fonts.FontFace(str(font), 1)
