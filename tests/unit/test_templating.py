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


def test_a_link_is_offered_only_when_the_route_it_reaches_admits_the_reader() -> None:
    from types import SimpleNamespace

    from safeguard.app import create_app
    from safeguard.auth.actor import Actor
    from safeguard.auth.permissions import ROLES
    from safeguard.web.templating import may_follow
    from tests.conftest import make_settings

    app = create_app(make_settings())
    request = SimpleNamespace(app=app)

    def reader(role: str | None) -> dict[str, object]:
        actor = None if role is None else Actor(kind="user", force_id=1, label=role,
                                                permissions=ROLES[role].permissions, user_id=1, role=role)
        return {"request": request, "actor": actor}

    handler, investigator, anonymous = reader("call_handler"), reader("ppu_investigator"), reader(None)
    assert may_follow(handler, "/incidents/7")
    assert may_follow(handler, "/people/7#markers")
    assert not may_follow(handler, "/crimes/7")  # crimes:read is not a call handler's
    assert not may_follow(handler, "/crimes/new?incident=INC-1")
    assert not may_follow(handler, "/orders/7")
    assert may_follow(investigator, "/crimes/7") and may_follow(investigator, "/crimes/new?incident=INC-1")
    assert may_follow(investigator, "/crimes/suspects/7")
    assert not may_follow(investigator, "/contacts/7")  # an investigator does not read control-room contacts
    assert may_follow(anonymous, "/help") and not may_follow(anonymous, "/people/7")
    assert not may_follow(investigator, "/no/such/page")
