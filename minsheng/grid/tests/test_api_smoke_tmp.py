import uuid, json
import pytest
from ..actions import do_create_task, do_issue_device_token
from ..models import GridTask

pytestmark = pytest.mark.django_db

def test_smoke(client, cast, residents):
    w = cast["grid_worker"]
    do_create_task(residents["wang"].pk, kind="insurance_willingness", reason="r", acting_user=cast["city_staff"])
    t = GridTask.objects.get()
    dev, token = do_issue_device_token(w, name="p", acting_user=w)
    h = {"Authorization": f"Bearer {token}"}
    r = client.get("/api/grid/tasks", headers=h); print(r.status_code, r.content.decode())
    r = client.get(f"/api/grid/tasks/{t.pk}", headers=h); print(r.status_code, r.content.decode())
    k = str(uuid.uuid4())
    r = client.post(f"/api/grid/tasks/{t.pk}/result", data=json.dumps({"insurance_willingness": "1"}), content_type="application/json", headers={**h, "Idempotency-Key": k}); print(r.status_code, r.content.decode())
    r = client.post(f"/api/grid/tasks/{t.pk}/result", data=json.dumps({"insurance_willingness": "1", "income_band": "1"}), content_type="application/json", headers={**h}); print(r.status_code, r.content.decode())
    r = client.post(f"/api/grid/tasks/{t.pk}/result", data=json.dumps({"insurance_willingness": "0"}), content_type="application/json", headers={**h, "Idempotency-Key": k}); print(r.status_code, r.content.decode())
    r = client.post(f"/api/grid/tasks/{t.pk}/result", data=json.dumps({"insurance_willingness": "0"}), content_type="application/json", headers={**h, "Idempotency-Key": k}); print(r.status_code, r.content.decode())
    r = client.get("/api/grid/me", headers=h); print(r.status_code, r.content.decode())
    r = client.get("/api/grid/tasks"); print(r.status_code, r.content.decode(), r.headers)
    r = client.get("/api/grid/openapi.json"); print(r.status_code, r.content.decode()[:3000])
    r = client.get("/api/grid/docs"); print(r.status_code, r.content.decode())
    r = client.get("/api/grid/"); print(r.status_code, r.content.decode())
