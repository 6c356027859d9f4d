"""The column-encryption provider, built once from the key file named by settings.

Keys live in a file outside the database (MINSHENG_KEY_FILE); the database holds only
ciphertext and blind indexes.
"""

from functools import cache

from django.conf import settings

from minsheng.lib.crypto import CryptoProvider, provider_from_key_file


@cache
def provider() -> CryptoProvider:
    return provider_from_key_file(settings.KEY_FILE)
