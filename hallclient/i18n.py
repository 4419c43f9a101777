"""Translations for the devices' screens: gettext catalogs under hallclient/locale.

Message ids are English; `zh` has a catalog (hallcall.po, compiled to hallcall.mo next to it with
Babel: `pybabel compile -d hallclient/locale -D hallcall`). English needs none: gettext falls back
to the message id.
"""
from __future__ import annotations

import gettext
from functools import lru_cache
from importlib import resources

DOMAIN = "hallcall"
LANGUAGES = ("zh", "en")


def locale_dir() -> str:
    return str(resources.files("hallclient").joinpath("locale"))


@lru_cache(maxsize=None)
def translator(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=locale_dir(), languages=[lang])


def gettext_for(lang: str):
    return translator(lang).gettext
