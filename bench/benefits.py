"""Benchmark the benefit roll: the monthly payment run, silent certification, death signals
processed end to end, and whether the planted "deceased but still paid" pensioners end
stopped with the right overpayment (and no living person stopped).

    .venv/bin/python bench/benefits.py --scale 1.0 [--db sqlite|postgres] [--seed 42]

Works on a copy of the archive bench/archive.py built (bench/common.py). Untimed first:
the roll is seeded from the archive (`do_seed_roll`: the pensions of the 养老待遇 export
with what the pension system paid until its last paid month, the unemployment benefits,
the 免申即享 subsidies).

certify_s: `do_certify_silently` over every recipient due within 60 days or overdue on the
city's date (activity in other departments' recent data proves the person alive).

deaths_s: every death signal the sources hold for persons still paid, end to end: collected
into cases (`do_collect_death_signals`), each case confirmed by one clerk (the two
independent sources, or the clerk's documented check where the case has one source: the
bench's clerk checks the truth, as a clerk would check with the family) and approved by a
second, which stops the benefits, computes the overpayment and opens the recovery. The
city's sources report about 450 such deaths at full scale; to process at least --signals
(1,000) the bench also saves a "suspected dead" list (疑似死亡) of living recipients, as a
screening that over-reports would: their cases are dismissed when the check finds them
alive (and must not stop anything: living_stopped).

payroll_s: the payment run of the month after the export's last paid month
(`do_run_payroll`), for every recipient.

deceased_found: planted cases (养老金, as the truth lists them, reachable in the data) whose
pension ends stopped from the month after death; overpaid_yuan: the recoveries' amount due
for them; overpaid_truth_yuan: the truth's overpaid amount for the same cases;
living_stopped: persons alive in the truth whose benefit was stopped for a death. 低保 cases
of the truth are 民政's payments, not this roll's, and are left out (printed).

Ends with one line:

    payroll_s=… certify_s=… deaths_s=… deceased_found=… deceased_planted=… overpaid_yuan=…
    overpaid_truth_yuan=… living_stopped=…
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time

import polars as pl
from common import BENCH, ROOT, archive_copy, city_dir

PENSION = "养老金"  # the truth's benefit label of a pension case


def _staff():
    """Two city pension clerks: the maker and the checker (two natural persons)."""
    from django.utils import timezone

    from minsheng.accounts.models import User
    from minsheng.accounts.roles import Role
    from minsheng.geo.models import Area

    city = Area.objects.get(level="city")
    made = []
    for n in (1, 2):
        user, _ = User.objects.get_or_create(
            username=f"bench_pension_{n}",
            defaults={
                "role": Role.CITY_PENSION,
                "area": city,
                "staff_no": f"BENCH-P{n}",
                "must_change_password": False,
                "password_changed_at": timezone.now(),
            },
        )
        made.append(user)
    return made


def _timed(label: str, call):
    t0 = time.perf_counter()
    out = call()
    s = time.perf_counter() - t0
    print(f"  {label}: {out if not hasattr(out, 'pk') else ''} in {s:.1f} s")
    return out, s


def _our_dead(truth: pl.DataFrame) -> dict[str, object]:
    """The truth's dead as our blind index of their ID number → date of death (the truth
    names people by ID number; we hold only its blind index)."""
    from minsheng import keys

    crypto = keys.provider()
    rows = truth.filter(~pl.col("alive") & pl.col("id_number").is_not_null())
    return {crypto.blind_index(n): d for n, d in rows.select("id_number", "death_date").iter_rows()}


def _real_signals() -> int:
    """How many death reports the sources hold for persons still paid (a dry count of what
    the collection will read, for sizing the false reports)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from minsheng.benefits.deaths import collect

    with transaction.atomic():
        n = sum(c.signals for c in collect(timezone.now()))
        transaction.set_rollback(True)
    connection.close()
    return n


def _suspected_list(maker, size: int) -> int:
    """A saved "suspected dead" list of `size` living recipients of a paid pension (false
    reports, for the volume); its id."""
    from django.db import connection, transaction

    from minsheng.benefits.deaths import SUSPECTED_DEAD_LISTS
    from minsheng.benefits.models import Benefit, BenefitStatus
    from minsheng.screening.models import TargetList, TargetListMember

    with transaction.atomic():
        saved = TargetList.objects.create(
            list_code=SUSPECTED_DEAD_LISTS[0],
            theme_code="population",
            name="压测：疑似死亡待核实",
            rule_text="bench",
            rule_version="1",
            as_of=datetime.date.today(),
            area=maker.area,
            created_by=maker,
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {TargetListMember._meta.db_table} "
                "(target_list_id, person_id, explanation) "
                f"SELECT %s, b.person_id, '[]' FROM {Benefit._meta.db_table} b "
                "JOIN residents_resident r ON r.person_id = b.person_id "
                "WHERE b.status = %s AND r.identity_death_date IS NULL "
                "GROUP BY b.person_id ORDER BY b.person_id DESC LIMIT %s",
                [saved.pk, BenefitStatus.PAYING.value, size],
            )
            saved.size = cursor.rowcount
        saved.save(update_fields=["size"])
    return saved.size


def _deaths(maker, checker, dead: dict) -> tuple[dict, float]:
    """Every death signal end to end: collected into cases; each case confirmed by the maker
    (two independent sources, or a documented check where there is one: the bench's clerk
    asks the truth, as a clerk asks the family) and approved by the checker."""
    from minsheng.benefits.actions.deaths import (
        do_approve_death,
        do_collect_death_signals,
        do_dismiss_death,
        do_propose_death,
        independent_sources,
    )
    from minsheng.benefits.models import DeathCase, DeathCaseStatus

    t0 = time.perf_counter()
    collected = do_collect_death_signals(acting_user=maker)
    counts = {"signals": collected["signals"], "cases": 0, "confirmed": 0, "dismissed": 0}
    open_cases = DeathCase.objects.filter(status=DeathCaseStatus.OPEN).select_related("person")
    for case in open_cases.order_by("pk"):
        counts["cases"] += 1
        died = dead.get(case.person.id_hash)
        dates = [d for d in case.signals.values_list("death_date", flat=True) if d]
        if died is None:  # the check finds the person alive
            do_dismiss_death(case, reason="核实：本人健在（电话联系本人）", acting_user=maker)
            counts["dismissed"] += 1
            continue
        two = len(independent_sources(case)) >= 2
        do_propose_death(
            case,
            death_date=min(dates) if dates else died,
            check_note="" if two else "电话联系家属核实：确已死亡",
            acting_user=maker,
        )
        do_approve_death(case, acting_user=checker)
        counts["confirmed"] += 1
    return counts, time.perf_counter() - t0


def _outcome(dead: dict, planted: pl.DataFrame) -> dict:
    """Found / planted, overpaid against the truth, the living stopped."""
    from django.db.models import Sum

    from minsheng import keys
    from minsheng.benefits.models import Benefit, Recovery

    crypto = keys.provider()
    pensions = planted.filter(pl.col("benefit") == PENSION).with_columns(
        id_hash=pl.col("id_number").cast(pl.String).map_elements(crypto.blind_index, pl.String)
    )
    stopped = dict(
        Benefit.objects.filter(stop_reason="death").values_list("person__id_hash", "person_id")
    )
    found = pensions.filter(pl.col("id_hash").is_in(list(stopped)))
    ours = [stopped[h] for h in found["id_hash"]]
    overpaid = Recovery.objects.filter(person_id__in=ours).aggregate(t=Sum("amount_due"))["t"]
    return {
        "deceased_found": found.height,
        "deceased_planted": pensions.height,
        "overpaid_yuan": float(overpaid or 0),
        "overpaid_truth_yuan": float(found["overpaid_amount"].sum()),
        "overpaid_truth_all_yuan": float(pensions["overpaid_amount"].sum()),
        "living_stopped": sum(1 for h in stopped if h not in dead),
        "dibao_left_out": planted.height - pensions.height,
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scale", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    p.add_argument(
        "--signals", type=int, default=1000, help="death signals to process at least (see above)"
    )
    a = p.parse_args()

    BENCH.mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = archive_copy(a.scale, a.seed, a.db, "benefits")
    os.environ.setdefault("MINSHENG_KEY_FILE", str(BENCH / "bench.key"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minsheng.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from minsheng.benefits.actions.roll import (
        do_certify_silently,
        do_run_payroll,
        do_seed_roll,
    )
    from minsheng.lib.benefit_rules import add_months, month_index
    from minsheng.residents.models import Resident
    from minsheng.screening.engine import archive_as_of

    call_command("migrate", verbosity=0)  # tables added since the archive was built
    city = city_dir(a.scale, a.seed)
    truth = pl.read_parquet(
        city / "truth" / "persons.parquet", columns=["id_number", "alive", "death_date"]
    )
    planted = pl.read_csv(
        city / "truth" / "planted" / "deceased_still_paid.csv",
        schema_overrides={"id_number": pl.String},
    )
    as_of = archive_as_of()
    maker, checker = _staff()
    print(
        f"scale {a.scale} seed {a.seed} on {a.db}: {Resident.objects.count():,} residents, as of {as_of}"
    )

    _timed("seeded the roll", lambda: do_seed_roll(acting_user=maker, as_of=as_of))
    certified, certify_s = _timed(
        "silent certification", lambda: do_certify_silently(on=as_of, acting_user=maker)
    )
    dead = _our_dead(truth)
    false = _suspected_list(maker, max(0, a.signals - _real_signals()))
    print(f"  a suspected-dead list of {false:,} living recipients (false reports)")
    deaths, deaths_s = _deaths(maker, checker, dead)
    print(f"  deaths end to end: {deaths} in {deaths_s:.1f} s")
    # the export's last paid month is the city's month: the roll pays the next one
    month = month_index(add_months(as_of, 1))
    run, payroll_s = _timed("payment run", lambda: do_run_payroll(month, acting_user=maker))
    print(
        f"  run of {run.month // 12}-{run.month % 12 + 1:02d}: {run.recipients:,} recipients, "
        f"{run.payments:,} payments, {run.total} yuan, {run.suspended:,} suspended"
    )
    again, again_s = _timed("the same run again", lambda: do_run_payroll(month, acting_user=maker))
    assert again.pk == run.pk and again.payments == run.payments, "a second run paid again"
    out = _outcome(dead, planted)
    print(f"  outcome: {out}")
    print(
        f"payroll_s={payroll_s:.1f} certify_s={certify_s:.1f} deaths_s={deaths_s:.1f} "
        f"deceased_found={out['deceased_found']} deceased_planted={out['deceased_planted']} "
        f"overpaid_yuan={out['overpaid_yuan']:.2f} "
        f"overpaid_truth_yuan={out['overpaid_truth_yuan']:.2f} "
        f"living_stopped={out['living_stopped']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
