"""Re-encrypt every stored provider key under the first of PROVIDER_KEYS_ENCRYPTION_KEYS.

Rotation: put the new key first (keep the old ones after it), deploy, run this, then drop the
old keys. Keys no configured key can read are reported, not changed.
"""

from typing import Any

from django.core.management.base import BaseCommand

from providerkeys.crypto import SecretUnreadable, secret_rotate
from providerkeys.models import ProviderKey


class Command(BaseCommand):
    help = "Re-encrypt stored team provider keys under the first encryption key."

    def handle(self, *args: Any, **options: Any) -> None:
        rotated = unreadable = 0
        for key in ProviderKey.objects.only("pk", "secret_encrypted").iterator():
            try:
                token = secret_rotate(key.secret_encrypted)
            except SecretUnreadable:
                unreadable += 1
                self.stderr.write(f"unreadable: provider key {key.pk}")
                continue
            ProviderKey.objects.filter(pk=key.pk).update(secret_encrypted=token)
            rotated += 1
        self.stdout.write(f"re-encrypted {rotated} provider keys, {unreadable} unreadable")
