"""A person's 免申即享 events for the resident portrait's timeline (service trajectory):
policy deliveries, benefit records, notifications and grid-task requests, newest first.

The caller (the portrait) has already decided the user may see this person; these are four
indexed queries on person_id.
"""

from __future__ import annotations

from . import policies as catalogue
from .models import BenefitRecord, GridTaskRequest, Notification, PolicyDelivery

DELIVERY_TITLES = {"notify": "政策通知", "benefit_record": "免申即享待遇", "grid_task": "上门服务"}


def _policy_name(code: str) -> str:
    try:
        return catalogue.policy(code).name_zh
    except KeyError:
        return code


def events_for(person_id: int) -> list[dict]:
    """[{date, kind, title (zh), detail}] newest first."""
    events: list[dict] = []
    for d in PolicyDelivery.objects.filter(person_id=person_id):
        events.append(
            {
                "date": d.created_at,
                "kind": "policy_delivery",
                "title": f"{_policy_name(d.policy_code)}（{DELIVERY_TITLES.get(d.kind, d.kind)}）",
                "detail": f"免申即享第{d.run_id}批" + (f"，期间{d.period}" if d.period else ""),
            }
        )
    for r in BenefitRecord.objects.filter(person_id=person_id):
        events.append(
            {
                "date": r.created_at,
                "kind": "benefit_record",
                "title": f"{r.kind} {r.amount}元",
                "detail": "，".join(x for x in (r.budget_line, r.period) if x),
            }
        )
    for n in Notification.objects.filter(person_id=person_id):
        channel = {"sms": "短信", "wechat": "微信"}.get(n.channel, n.channel)
        status = {"pending": "待发送", "sent": "已发送", "failed": "发送失败"}.get(
            n.status, n.status
        )
        events.append(
            {
                "date": n.sent_at or n.created_at,
                "kind": "notification",
                "title": f"{channel}通知：{_policy_name(n.policy_code)}",
                "detail": status,
            }
        )
    for t in GridTaskRequest.objects.filter(person_id=person_id):
        events.append(
            {
                "date": t.created_at,
                "kind": "grid_task_request",
                "title": f"网格上门服务申请：{t.reason}",
                "detail": f"网格{t.grid_code}" if t.grid_code else "",
            }
        )
    events.sort(key=lambda e: e["date"], reverse=True)
    return events
