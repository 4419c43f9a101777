"""Translations for the devices' screens: gettext catalogs under hallclient/locale.

Message ids are English. Each language has hallclient/locale/<lang>/LC_MESSAGES/hallcall.po and,
committed next to it, the compiled hallcall.mo that the devices load (the English catalog maps
every id to itself, so English wording can change without touching code). After changing a
message in the code, with Babel installed:

    pybabel extract --no-default-keywords -k t -k both -k N_ -k tn:1,2 --no-location \
        -o hallclient/locale/hallcall.pot kiosk display hallclient
    pybabel update -i hallclient/locale/hallcall.pot -d hallclient/locale -D hallcall
    (translate the new entries in zh/…/hallcall.po; copy the id into en/…/hallcall.po)
    pybabel compile -d hallclient/locale -D hallcall

tests/hallclient/test_i18n.py fails until every message has its translation and every .mo is
current.
"""
from __future__ import annotations

import gettext
import logging
from collections.abc import Callable
from functools import lru_cache
from importlib import resources

log = logging.getLogger(__name__)

DOMAIN = "hallcall"
LANGUAGES = ("zh", "en")
# The functions whose literal arguments are messages, as Babel's extraction takes them
# (tn: singular and plural, the count decides).
KEYWORDS = {"t": None, "both": None, "N_": None, "tn": (1, 2)}


def N_(message: str) -> str:
    """Marks a message for the catalog where it is defined; it is translated where it is shown."""
    return message


def locale_dir() -> str:
    return str(resources.files("hallcall.hallclient").joinpath("locale"))


@lru_cache(maxsize=None)
def translator(lang: str) -> gettext.NullTranslations:
    try:
        return gettext.translation(DOMAIN, localedir=locale_dir(), languages=[lang])
    except OSError:
        # Installed without its catalogs: English words beat a kiosk that shows nothing.
        log.error("no %s catalog in %s: showing English", lang, locale_dir())
        return gettext.NullTranslations()


def gettext_for(lang: str) -> Callable[[str], str]:
    return translator(lang).gettext


def ngettext_for(lang: str) -> Callable[[str, str, int], str]:
    return translator(lang).ngettext
