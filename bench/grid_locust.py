"""The load of bench/grid.py (run by it through locust's command line, not alone).

`GridWorker`: a grid worker's phone on the grid API with its own device token: the open
task list, one task with its resident card, the result (an insurance-willingness survey)
posted with a fresh Idempotency-Key; now and then a retry of that post with the same key,
as a phone on a bad connection sends it, which must answer the first result. `Bare`: the
trivial view (/healthz) under the same settings, the server's own ceiling.

Environment: GRID_BENCH_TOKENS, the JSON file bench/grid.py wrote ([{token, slot, of}]: when
the city has fewer workers than users, a worker has several devices and each works the
tasks whose id modulo `of` is its `slot`, so no two users post to one task);
GRID_BENCH_WAIT, the seconds a worker pauses between two calls.
"""

import itertools
import json
import os
import random
import time
import uuid
from pathlib import Path

from locust import FastHttpUser, SequentialTaskSet, constant, task

DEVICES = json.loads(Path(os.environ["GRID_BENCH_TOKENS"]).read_text())
WAIT = float(os.environ.get("GRID_BENCH_WAIT", "0"))
RETRY_SHARE = 0.05  # posts sent twice with the same key
_numbers = itertools.count()


class Round(SequentialTaskSet):
    """List → task → result, with the worker's pause after each call."""

    task_id = None

    @task
    def task_list(self):
        user = self.user
        with self.client.get(
            "/api/grid/tasks?status=open",
            headers=user.headers,
            name="GET /api/grid/tasks",
            catch_response=True,
        ) as r:
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code}")
                self.task_id = None
                return
            mine = [i["id"] for i in r.json()["items"] if i["id"] % user.of == user.slot]
            self.task_id = mine[0] if mine else None

    @task
    def task_detail(self):
        if self.task_id is None:
            return
        with self.client.get(
            f"/api/grid/tasks/{self.task_id}",
            headers=self.user.headers,
            name="GET /api/grid/tasks/{id}",
            catch_response=True,
        ) as r:
            if r.status_code != 200 or not r.json().get("card"):
                r.failure(f"HTTP {r.status_code}")

    @task
    def submit(self):
        if self.task_id is None:
            return
        key = str(uuid.uuid4())
        body = (
            {"insurance_willingness": "1", "income_band": "100"}
            if random.random() < 0.5
            else {"insurance_willingness": "2", "note": "压测"}
        )
        expected = [201]
        if random.random() < RETRY_SHARE:
            expected.append(200)  # the retry answers the first result
        for want in expected:
            with self.client.post(
                f"/api/grid/tasks/{self.task_id}/result",
                json=body,
                headers={**self.user.headers, "Idempotency-Key": key},
                name="POST /api/grid/tasks/{id}/result",
                catch_response=True,
            ) as r:
                if r.status_code != want:
                    r.failure(f"HTTP {r.status_code}: {r.text[:200]}")
                    break


class GridWorker(FastHttpUser):
    wait_time = constant(WAIT)
    tasks = [Round]

    def on_start(self):
        device = DEVICES[next(_numbers) % len(DEVICES)]
        self.headers = {"Authorization": f"Bearer {device['token']}"}
        self.slot, self.of = device["slot"], device["of"]
        _arrive()


def _arrive() -> None:
    """A worker's first call comes at a random moment within one pause, as phones open the
    app through the morning: not all 200 in the spawning's four seconds (a burst the
    steady load never sees again; locust's time.sleep is gevent's)."""
    time.sleep(random.uniform(0, WAIT))


class Bare(FastHttpUser):
    wait_time = constant(WAIT)

    def on_start(self):
        _arrive()

    @task
    def healthz(self):
        self.client.get("/healthz", name="GET /healthz")
