"""The demo seed adds protective orders for demo DA suspects protecting their victims, and only once."""

from __future__ import annotations

import psycopg
from sqlalchemy.ext.asyncio import AsyncSession

from safeguard.db.engine import make_engine, psycopg_dsn
from safeguard.db.session import set_force_context
from safeguard.demo import DEMO_FORCE_CODE
from safeguard.people.models import Location, PersonAddress
from safeguard.safeguarding.orders_demo import seed_demo_orders
from tests.conftest import DatabaseUnderTest, make_force
from tests.integration.crime_scene import crime_scene


async def test_the_demo_orders_are_seeded_once(fresh_db: DatabaseUnderTest) -> None:
    engine = make_engine(fresh_db.app_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
            force = await make_force(s, DEMO_FORCE_CODE, "Demo Constabulary")
            scenes = [await crime_scene(s, force, forename=name) for name in ("Dean", "Gary", "Liam")]
            await set_force_context(s, force.id)
            for scene in scenes:
                home = Location(force_id=force.id, line1=f"{scene.victim.id} Tanner Street", town="Northfield")
                s.add(home)
                await s.flush()
                s.add(PersonAddress(force_id=force.id, person_id=scene.victim.id, location_id=home.id))
    finally:
        await engine.dispose()
    seed_demo_orders(fresh_db.admin_url)
    seed_demo_orders(fresh_db.admin_url)
    with psycopg.connect(psycopg_dsn(fresh_db.admin_url)) as conn:
        kinds = conn.execute("SELECT kind, status, no_contact FROM protective_order ORDER BY kind").fetchall()
        assert kinds == [("bail-conditions", "active", False), ("dvpo", "active", True),
                         ("non-molestation", "active", True)]
        pairs = conn.execute("""SELECT count(*) FROM protective_order o JOIN protective_order_person p
                                ON p.order_id = o.id JOIN crime_person v ON v.crime_id = o.crime_id
                                AND v.person_id = p.person_id AND v.role = 'victim'""").fetchone()
        assert pairs == (3,)
        zones = conn.execute("""SELECT o.kind, z.radius_m FROM protective_order_zone z
                                JOIN protective_order o ON o.id = z.order_id ORDER BY o.kind""").fetchall()
        assert zones == [("dvpo", 100), ("non-molestation", 100)]
        dvpo = conn.execute("SELECT expires_at - starts_at FROM protective_order WHERE kind = 'dvpo'").fetchone()
        assert dvpo is not None and 14 <= dvpo[0].days <= 28
