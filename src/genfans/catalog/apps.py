from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "genfans.catalog"
    label = "catalog"
