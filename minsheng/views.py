from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse
from django.shortcuts import redirect, render

from minsheng.accounts.models import User
from minsheng.accounts.roles import Role
from minsheng.geo.models import Area, Building, House


@login_required
def home(request):
    user = request.user
    if user.role == Role.AUDIT_ADMIN:
        return redirect("audit:event_list")
    if user.role == Role.SEC_ADMIN:
        return redirect("accounts:user_list")
    if user.role == Role.SYS_ADMIN:
        return redirect("system_status")
    return redirect("geo:area_detail", code=user.area.code)


def healthz(request):
    """For a load balancer, a monitor and the benchmarks: the server answers. Touches
    neither the database nor the session, and says nothing else."""
    return HttpResponse("ok", content_type="text/plain")


@login_required
def system_status(request):
    """What the system administrator needs to run the system, and no personal data."""
    if request.user.role != Role.SYS_ADMIN:
        raise PermissionDenied
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    context = {
        "engine": connection.vendor,
        "database": settings.DATABASES["default"]["NAME"],
        "pending_migrations": len(pending),
        "areas": Area.objects.count(),
        "grids": Area.objects.filter(level="grid").count(),
        "buildings": Building.objects.count(),
        "houses": House.objects.count(),
        "accounts": User.objects.filter(is_active=True).count(),
        "debug": settings.DEBUG,
        "demo_mode": settings.DEMO_MODE,
        "key_file_present": settings.KEY_FILE.exists(),
    }
    return render(request, "system_status.html", context)
