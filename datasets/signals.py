"""Files follow rows: when a version row is really deleted (not soft-deleted), its files go
too, once the deletion has committed (a rolled-back delete keeps them)."""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from . import storage
from .models import DatasetVersion


@receiver(post_delete, sender=DatasetVersion)
def delete_version_files(sender, instance: DatasetVersion, **kwargs) -> None:
    keys = [instance.raw_key, instance.parquet_key, instance.profile_key]
    transaction.on_commit(lambda: storage.delete_keys(keys))
