"""The policy catalogue (`policies.toml`): rules, benefits and delivery, loaded and checked
once, plus the set-based evaluation every page and action shares.

A broken rule stops the program when the catalogue loads (with its defaults substituted),
never a page at run time. A policy's rule version is the catalogue version plus a hash of
its rule texts; a run records the version and the thresholds that produced it.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

from django.db.models import Count, Max

from minsheng.screening import engine
from minsheng.screening.rulelang import RuleError, compile_rule

HERE = Path(__file__).resolve().parent
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
DELIVERY_MODES = ("notify", "benefit_record", "grid_task")
UNITS = ("once", "year", "month")
CENT = Decimal("0.01")


class PolicyError(ValueError):
    """A catalogue entry or a threshold that cannot be used; says which and why."""


@dataclass(frozen=True)
class Policy:
    code: str
    name_zh: str
    name_en: str
    level: str  # person | enterprise
    rule: str
    version: str
    thresholds: dict = field(default_factory=dict)
    threshold_labels: dict = field(default_factory=dict)  # name → label (zh)
    benefit_kind: str = ""
    amount: Decimal = Decimal(0)  # per person and period; enterprises use the formula
    unit: str = "once"
    budget_line: str = ""
    delivery: str = "notify"
    channel: str = "sms"
    template: str = ""
    task_kind: str = ""
    layoff_rule: str = ""
    description_zh: str = ""
    planted: str = ""

    def rule_text(self, thresholds: dict | None = None, *, key: str = "rule") -> str:
        values = self.resolve(thresholds)
        text = self.rule if key == "rule" else self.layoff_rule
        return PLACEHOLDER.sub(lambda m: _literal(values[m.group(1)]), text)

    def resolve(self, thresholds: dict | None = None) -> dict:
        """The defaults overridden by `thresholds`; unknown names and non-numbers refused
        (a threshold is substituted into rule text, so it must never be more than a number)."""
        values = dict(self.thresholds)
        for name, raw in (thresholds or {}).items():
            if name not in self.thresholds:
                raise PolicyError(f"{self.code}: unknown threshold {name!r}")
            values[name] = _number(self.code, name, raw, type(self.thresholds[name]))
        return values

    def period(self, as_of: date) -> str:
        return {"once": "", "year": f"{as_of:%Y}", "month": f"{as_of:%Y-%m}"}[self.unit]

    def description(self, thresholds: dict | None = None) -> str:
        values = self.resolve(thresholds)
        return PLACEHOLDER.sub(
            lambda m: str(values.get(m.group(1), m.group())), self.description_zh
        )


def _number(code: str, name: str, raw, kind: type):
    try:
        value = kind(raw) if not isinstance(raw, bool) else None
    except (TypeError, ValueError):
        value = None
    if value is None or (kind is int and str(raw).strip() not in (str(value), f"{value}.0")):
        raise PolicyError(f"{code}: threshold {name} must be a {kind.__name__}, got {raw!r}")
    if value < 0:
        raise PolicyError(f"{code}: threshold {name} must not be negative")
    return value


def _literal(value) -> str:
    return repr(value) if isinstance(value, float) else str(int(value))


def _check_rule(code: str, text: str) -> None:
    try:
        compile_rule(text, pg=False, as_of=date(2000, 1, 1), rule=code)
    except RuleError as err:
        raise PolicyError(f"policies.toml: policy {code}: {err}") from None


def _policy(entry: dict, version: int) -> Policy:
    try:
        code, rule = entry["code"], entry["rule"]
        benefit, delivery = entry["benefit"], entry["delivery"]
    except KeyError as missing:
        raise PolicyError(f"policies.toml: a policy lacks {missing}") from None
    mode = delivery.get("mode", "")
    if mode not in DELIVERY_MODES:
        raise PolicyError(f"policies.toml: policy {code}: delivery mode {mode!r} unknown")
    unit = benefit.get("unit", "once")
    if unit not in UNITS:
        raise PolicyError(f"policies.toml: policy {code}: unit {unit!r} unknown")
    level = entry.get("level", "person")
    layoff = entry.get("layoff_rule", "")
    texts = " ".join((rule + layoff).split())
    policy = Policy(
        code=code,
        name_zh=entry.get("name_zh", code),
        name_en=entry.get("name_en", code),
        level=level,
        rule=rule,
        version=f"{version}.{hashlib.sha256(texts.encode()).hexdigest()[:8]}",
        thresholds=dict(entry.get("thresholds", {})),
        threshold_labels=dict(entry.get("threshold_labels", {})),
        benefit_kind=benefit.get("kind", ""),
        amount=Decimal(str(benefit.get("amount", 0))),
        unit=unit,
        budget_line=benefit.get("budget_line", ""),
        delivery=mode,
        channel=delivery.get("channel", "sms"),
        template=delivery.get("template", code),
        task_kind=delivery.get("task_kind", ""),
        layoff_rule=layoff,
        description_zh=entry.get("description_zh", ""),
        planted=entry.get("planted", ""),
    )
    if level == "enterprise":
        missing = {"min_staff", "rate", "contribution_base", "layoff_months"} - set(
            policy.thresholds
        )
        if missing or not layoff:
            raise PolicyError(
                f"policies.toml: policy {code} lacks {sorted(missing)} or layoff_rule"
            )
    elif level != "person":
        raise PolicyError(f"policies.toml: policy {code}: level {level!r} unknown")
    for key in ("rule", "layoff_rule") if layoff else ("rule",):
        try:
            text = policy.rule_text(key=key)
        except KeyError as name:
            raise PolicyError(f"policies.toml: policy {code}: no threshold {name}") from None
        _check_rule(code, text)
    return policy


def load(path: Path = HERE / "policies.toml") -> tuple[Policy, ...]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise PolicyError(f"{path.name}: {err}") from None
    version = int(data.get("version", 1))
    found = tuple(_policy(e, version) for e in data.get("policies", []))
    codes = [p.code for p in found]
    if len(set(codes)) != len(codes):
        raise PolicyError(f"{path.name}: a policy code is used twice")
    return found


@cache
def policies() -> tuple[Policy, ...]:
    return load()


def policy(code: str) -> Policy:
    for p in policies():
        if p.code == code:
            return p
    raise KeyError(code)


# -- evaluation (set-based) ----------------------------------------------------------------


def people(p: Policy, thresholds: dict | None = None, *, as_of: date | None = None):
    """The archive rows for whom a person-level policy's rule holds (the whole city: a
    policy is run by the city bureau for the city)."""
    return engine.matching_all(p.rule_text(thresholds), rule=p.code, as_of=as_of)


def enterprises(p: Policy, thresholds: dict | None = None, *, as_of: date | None = None):
    """[{uscc, name, employees}] of the qualifying enterprises, in one grouped query: the
    insured employees by employer, less every employer with a recent layoff."""
    values = p.resolve(thresholds)
    # Fetched first rather than nested: the compiled rule names the archive table itself,
    # which inside a subquery of the same table would refer to the outer row.
    laid_off = set(
        engine.matching_all(p.rule_text(thresholds, key="layoff_rule"), rule=p.code, as_of=as_of)
        .values_list("employment_employer_uscc", flat=True)
        .distinct()
    )
    return (
        engine.matching_all(p.rule_text(thresholds), rule=p.code, as_of=as_of)
        .exclude(employment_employer_uscc__in=laid_off)
        .values("employment_employer_uscc")
        .annotate(employees=Count("pk"), name=Max("employment_employer"))
        .filter(employees__gte=values["min_staff"])
        .order_by("employment_employer_uscc")
    )


def enterprise_amount(p: Policy, employees: int, thresholds: dict | None = None) -> Decimal:
    values = p.resolve(thresholds)
    amount = Decimal(str(values["rate"])) * employees * Decimal(str(values["contribution_base"]))
    return amount.quantize(CENT, ROUND_HALF_UP)


def evaluate(p: Policy, thresholds: dict | None = None, *, as_of: date | None = None) -> dict:
    """{count, cost} of a policy under the given thresholds, computed in the database."""
    if p.level == "enterprise":
        rows = list(enterprises(p, thresholds, as_of=as_of))
        cost = sum((enterprise_amount(p, r["employees"], thresholds) for r in rows), Decimal(0))
        return {"count": len(rows), "cost": cost}
    count = people(p, thresholds, as_of=as_of).count()
    return {"count": count, "cost": (p.amount * count).quantize(CENT)}
