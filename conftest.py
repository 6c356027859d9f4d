"""Fixtures shared by every app's tests: the areas and the fixed cast of users.

The cast: `clerk` owns 清泉社区 (a community of 新华街道, 海勃湾区); `street_clerk` is the
clerk of 新华街道 above it; `viewer` is a read-only user of 海勃湾区; `outsider` is a clerk of
巴音赛街道 in 乌达区; `grid_worker` works grid 1 of 清泉社区; then city staff, the supervision
centre and the three administrators.
"""

import os
from datetime import date

import pytest
from hypothesis import settings as hypothesis_settings

from minsheng.accounts.models import User
from minsheng.accounts.roles import Role
from minsheng.geo.actions import load_reference_areas
from minsheng.geo.models import Area, Building, House

# CI must be reproducible: the same examples every run, no timing deadlines on a loaded
# machine. Locally Hypothesis keeps exploring new examples.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

PASSWORD = "Cast#Passw0rd"

QINGQUAN = "150302001001"  # 清泉社区, 新华街道, 海勃湾区
XINNAN = "150302001002"  # 新南社区, same street
BAYINSAI_COMMUNITY_TOWN = "150304001"  # 巴音赛街道, 乌达区


def make_grid(community: Area, n: int) -> Area:
    grid = community.child(f"{community.code}{n:03d}", f"{community.name}第{n}网格", "grid", "网格")
    grid.save()
    return grid


def make_house(grid: Area, n: int) -> House:
    building, _ = Building.objects.get_or_create(
        code=f"{grid.code}01",
        defaults={"grid": grid, "address": f"{grid.name}1号楼", "units": 2, "floors": 6},
    )
    return House.objects.create(
        code=f"{building.code}{n:04d}",
        building=building,
        unit=1,
        floor=1,
        room=f"{100 + n}",
        address=f"{building.address}1单元{100 + n}",
    )


@pytest.fixture(scope="session")
def synth_city(tmp_path_factory):
    """The small synthetic city (scale 0.01, seed 42), generated once per test session."""
    from minsheng.synth.generate import generate

    out = tmp_path_factory.mktemp("synth") / "city-0.01-42"
    generate(out, scale=0.01, seed=42, progress=False)
    return out


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Production keeps Django's PBKDF2; ten users a test at 1M iterations each would
    # dominate the suite's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def areas(db):
    # Transactional tests flush the tables, and with them the migration's reference areas.
    if not Area.objects.filter(level="community").exists():
        load_reference_areas(Area)
    qingquan = Area.objects.get(code=QINGQUAN)
    xinnan = Area.objects.get(code=XINNAN)
    bayinsai_community = (
        Area.objects.filter(town_code=BAYINSAI_COMMUNITY_TOWN, level="community")
        .order_by("code")
        .first()
    )
    grids = {
        "qingquan1": make_grid(qingquan, 1),
        "qingquan2": make_grid(qingquan, 2),
        "xinnan1": make_grid(xinnan, 1),
        "bayinsai1": make_grid(bayinsai_community, 1),
    }
    houses = {name: make_house(grid, 1) for name, grid in grids.items()}
    return {
        "qingquan": qingquan,
        "xinnan": xinnan,
        "bayinsai_community": bayinsai_community,
        "grids": grids,
        "houses": houses,
    }


def make_user(username: str, role: str, area: Area, **extra) -> User:
    user = User(
        username=username,
        role=role,
        area=area,
        staff_no=extra.pop("staff_no", username.upper()),
        must_change_password=False,
        **extra,
    )
    user.set_password(PASSWORD)
    from django.utils import timezone

    user.password_changed_at = timezone.now()
    user.save()
    return user


@pytest.fixture
def cast(areas, db):
    a = lambda code: Area.objects.get(code=code)  # noqa: E731
    return {
        "clerk": make_user("clerk", Role.COMMUNITY_CLERK, areas["qingquan"]),
        "street_clerk": make_user("street_clerk", Role.STREET_CLERK, a("150302001")),
        "viewer": make_user("viewer", Role.VIEWER, a("150302")),
        "outsider": make_user("outsider", Role.STREET_CLERK, a(BAYINSAI_COMMUNITY_TOWN)),
        "grid_worker": make_user("grid_worker", Role.GRID_WORKER, areas["grids"]["qingquan1"]),
        "city_staff": make_user("city_staff", Role.CITY_PENSION, a("150300")),
        "supervision": make_user("supervision", Role.SUPERVISION, a("150300")),
        "sys_admin": make_user("sys_admin", Role.SYS_ADMIN, a("150300")),
        "sec_admin": make_user("sec_admin", Role.SEC_ADMIN, a("150300")),
        "audit_admin": make_user("audit_admin", Role.AUDIT_ADMIN, a("150300")),
    }


@pytest.fixture
def login(client):
    def _login(user: User, *, second_factor: bool = True):
        client.force_login(user)
        if second_factor and user.is_admin_role:
            # Administrators need a verified TOTP device in the session (等保三级).
            from django_otp import DEVICE_ID_SESSION_KEY
            from django_otp.plugins.otp_totp.models import TOTPDevice

            device, _ = TOTPDevice.objects.get_or_create(
                user=user, confirmed=True, defaults={"name": "test"}
            )
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        return client

    return _login


@pytest.fixture
def crypto(tmp_path, settings):
    """A key file of the test's own. The provider is cached per process, so it is replaced
    for the test and forgotten afterwards: no other test decrypts with this key."""
    from minsheng import keys
    from minsheng.lib.crypto import generate_key_file

    settings.KEY_FILE = generate_key_file(tmp_path / "minsheng.key")
    keys.provider.cache_clear()
    yield keys.provider()
    keys.provider.cache_clear()


CITY_AS_OF = date(2026, 11, 13)  # the generator's reference date


@pytest.fixture(scope="module")
def imported_city(synth_city, django_db_setup, django_db_blocker, tmp_path_factory):
    """The small synthetic city imported through the real pipeline, once per module, with a
    key file of its own; everything it wrote is removed after the module. Modules using it
    must be marked django_db: without a database test pytest-django sets up no test
    database, and this would write to the development one (hence the name check)."""
    from django.conf import settings
    from django.db import connection

    from minsheng import keys
    from minsheng.audit.models import AuditEvent
    from minsheng.lib.crypto import generate_key_file
    from minsheng.pipeline.ingest import import_folder
    from minsheng.residents.models import Resident
    from minsheng.sources.models import FACT_MODELS, Batch, Person, UnresolvedRecord

    saved = settings.KEY_FILE
    settings.KEY_FILE = generate_key_file(tmp_path_factory.mktemp("keys") / "minsheng.key")
    keys.provider.cache_clear()
    with django_db_blocker.unblock():
        name = str(connection.settings_dict["NAME"])
        assert "memory" in name or "test" in name, f"not a test database: {name}"
        batches = import_folder(synth_city / "exports", as_of=CITY_AS_OF)
        yield {"path": synth_city, "batches": batches}
        Resident.objects.all().delete()
        for model in FACT_MODELS.values():
            model.objects.all().delete()
        UnresolvedRecord.objects.all().delete()  # a resolved one names its person
        Person.objects.all().delete()  # tags and review items cascade
        Batch.objects.all().delete()  # quarantine rows cascade
        AuditEvent.objects.all().delete()  # the import's events
    settings.KEY_FILE = saved
    keys.provider.cache_clear()


@pytest.fixture
def empty_databases(tmp_path):
    """Two empty databases of the kind the suite runs on (for `python -m minsheng` run in
    child processes): SQLite files, or databases of the test's PostgreSQL server."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield [f"sqlite:///{tmp_path / name}.sqlite3" for name in ("a", "b")]
        return
    import psycopg

    base = url.rsplit("/", 1)[0]
    names = ["minsheng_empty_a", "minsheng_empty_b"]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        for name in names:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
    yield [f"{base}/{name}" for name in names]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        for name in names:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
