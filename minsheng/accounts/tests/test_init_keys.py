import pytest
from django.core.management import CommandError, call_command

from minsheng import keys
from minsheng.audit.models import AuditEvent


@pytest.fixture
def key_path(settings, tmp_path):
    settings.KEY_FILE = tmp_path / "keys" / "minsheng.key"
    keys.provider.cache_clear()
    yield settings.KEY_FILE
    keys.provider.cache_clear()


@pytest.mark.django_db
def test_it_creates_an_sm4_key_file_once(key_path, capsys):
    call_command("init_keys")
    first = key_path.read_bytes()
    call_command("init_keys")
    assert key_path.read_bytes() == first
    assert oct(key_path.stat().st_mode & 0o777) == "0o600"
    assert AuditEvent.objects.filter(event_type="system", object_type="key_file").count() == 1


@pytest.mark.django_db
def test_it_gives_the_project_a_provider_from_the_key_file(key_path):
    call_command("init_keys")
    p = keys.provider()
    token = p.encrypt("150302199001011234")
    assert token.startswith("sm4gcm:") and p.decrypt(token) == "150302199001011234"
    assert p.blind_index("150302199001011234") == keys.provider().blind_index("150302199001011234")


@pytest.mark.django_db
def test_it_refuses_a_damaged_key_file(key_path):
    key_path.parent.mkdir(parents=True)
    key_path.write_text("not json")
    with pytest.raises(CommandError, match="not a usable key file"):
        call_command("init_keys")
