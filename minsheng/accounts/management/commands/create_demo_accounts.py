from django.core.management.base import BaseCommand
from django.db import transaction

from minsheng.accounts.actions import do_create_user
from minsheng.accounts.models import User
from minsheng.accounts.roles import Role
from minsheng.geo.models import Area

DEMO_PASSWORD = "Minsheng#2026"  # noqa: S105 - printed on purpose; demo only

# (username, display name, role, area code or "first grid of <community code>")
DEMO_ACCOUNTS = [
    ("jiuye", "就业科 张敏", Role.CITY_EMPLOYMENT, "150300"),
    ("yanglao", "养老科 李强", Role.CITY_PENSION, "150300"),
    ("shebaoka", "社保卡中心 王芳", Role.CITY_CARD, "150300"),
    ("jiancha", "劳动监察 刘洋", Role.CITY_INSPECTION, "150300"),
    ("jijin", "基金监督 陈静", Role.CITY_FUND, "150300"),
    ("haibowan", "海勃湾区经办 杨帆", Role.DISTRICT_CLERK, "150302"),
    ("xinhua", "新华街道经办 赵丽", Role.STREET_CLERK, "150302001"),
    ("qingquan", "清泉社区经办 黄磊", Role.COMMUNITY_CLERK, "150302001001"),
    ("wuda", "乌达区巴音赛街道经办 周婷", Role.STREET_CLERK, "150304001"),
    ("wangge", "清泉社区网格员 吴刚", Role.GRID_WORKER, "grid:150302001001"),
    ("chakan", "海勃湾区只读 郑洁", Role.VIEWER, "150302"),
    ("zhihui", "指挥中心 孙涛", Role.SUPERVISION, "150300"),
    ("sysadmin", "系统管理员 马骏", Role.SYS_ADMIN, "150300"),
    ("secadmin", "安全管理员 胡敏", Role.SEC_ADMIN, "150300"),
    ("auditadmin", "审计管理员 朱琳", Role.AUDIT_ADMIN, "150300"),
]


class Command(BaseCommand):
    help = "Create one demo account per role, spread over areas, and print their passwords."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEMO_PASSWORD)

    def handle(self, password: str, **options):
        rows = []
        with transaction.atomic():
            for i, (username, name, role, where) in enumerate(DEMO_ACCOUNTS, start=1):
                if where.startswith("grid:"):
                    area = (
                        Area.objects.filter(level="grid", community_code=where[5:])
                        .order_by("code")
                        .first()
                    )
                    if area is None:
                        self.stderr.write(
                            f"skipped {username}: no grid loaded under {where[5:]} (run load_city first)"
                        )
                        continue
                else:
                    area = Area.objects.get(code=where)
                if not User.objects.filter(username=username).exists():
                    do_create_user(
                        username=username,
                        staff_no=f"DEMO{i:03d}",
                        role=role,
                        area=area,
                        display_name=name,
                        password=password,
                        must_change_password=False,
                        acting_user=None,
                    )
                rows.append((username, Role(role).label, area.name))
        admins = [
            u for u in User.objects.filter(username__in=[r[0] for r in rows]) if u.is_admin_role
        ]
        self.stdout.write(f"Demo accounts (password for all: {password}):")
        for username, role, area in rows:
            self.stdout.write(f"  {username:<12} {role} — {area}")
        if admins:
            self.stdout.write(
                "Administrators also need a one-time code (TOTP): scan the QR code shown at their first "
                "login with an authenticator app, or print the current code in the demo with "
                "`minsheng demo_totp USERNAME`."
            )
