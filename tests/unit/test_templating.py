"""Small rules of the page shell: how a probability reads, and which menu item is highlighted."""

from __future__ import annotations

from safeguard.auth.permissions import P
from safeguard.web.templating import NavItem, active_item, percent

MENU = [NavItem("Home", "/", P.HOME_VIEW), NavItem("People", "/people", P.PERSON_READ),
        NavItem("Caller history", "/people/history", P.PERSON_READ),
        NavItem("Duplicates", "/people/duplicates", P.PERSON_MERGE)]


def test_a_probability_never_reads_as_certain() -> None:
    assert percent(0.9634) == "96.3%"
    assert percent(0.91) == "91.0%"
    assert percent(0.99996) == ">99.9%"
    assert percent(1.0) == ">99.9%"
    assert percent(0.0) == "0.0%"


def test_the_most_specific_menu_item_is_highlighted() -> None:
    assert active_item(MENU, "/") == "/"
    assert active_item(MENU, "/people") == "/people"
    assert active_item(MENU, "/people/42") == "/people"
    assert active_item(MENU, "/people/history") == "/people/history"
    assert active_item(MENU, "/people/duplicates/7") == "/people/duplicates"
    assert active_item(MENU, "/peoplex") is None
    assert active_item(MENU, "/audit") is None
