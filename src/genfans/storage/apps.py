from django.apps import AppConfig


class StorageConfig(AppConfig):
    name = "genfans.storage"
    label = "storage"
