from django import template

from genfans.storage.urls import asset_url as signed_asset_url

register = template.Library()


@register.filter
def asset_url(asset) -> str:
    """A signed, expiring link to a stored asset: `{{ asset|asset_url }}`."""
    return signed_asset_url(asset)
