from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from minsheng.audit.actions import record_event
from minsheng.audit.models import EventType
from minsheng.lib.crypto import CryptoError, generate_key_file, load_key_file


class Command(BaseCommand):
    help = "Create the column-encryption key file (MINSHENG_KEY_FILE) if it does not exist yet."

    def add_arguments(self, parser):
        parser.add_argument("--provider", choices=["sm4gcm", "aesgcm"], default="sm4gcm")

    def handle(self, provider: str, **options):
        path = settings.KEY_FILE
        if path.exists():
            try:
                existing = load_key_file(path)
            except CryptoError as e:
                raise CommandError(f"{path} exists but is not a usable key file: {e}") from e
            self.stdout.write(
                f"Key file {path} already exists ({existing['provider']}); left as it is."
            )
            return
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        generate_key_file(path, provider=provider)
        record_event(
            EventType.SYSTEM,
            object_type="key_file",
            object_id=path.name,
            details={"action": "created", "provider": provider, "path": str(path)},
        )
        self.stdout.write(
            f"Created key file {path} ({provider}). Keep it out of the database backups."
        )
