from django.urls import path

from genfans.web.views import auth, dashboard, public
from genfans.web.views import billing as billing_views
from genfans.web.views import credits as credits_views
from genfans.web.views.catalog import catalog_detail, catalog_list, catalog_sample
from genfans.web.views.media import media

urlpatterns = [
    path("", public.landing, name="landing"),
    path("sign-in", auth.sign_in, name="sign-in"),
    path("sign-up", auth.sign_up, name="sign-up"),
    path("sign-out", auth.sign_out, name="sign-out"),
    path("dashboard/", dashboard.home, name="dashboard"),
    path("media/<path:key>", media, name="media"),
    path("dashboard/catalog", catalog_list, name="catalog"),
    path("dashboard/catalog/<uuid:reference_model_id>", catalog_detail, name="catalog-detail"),
    path(
        "dashboard/catalog/<uuid:reference_model_id>/samples/<int:variant>.jpg",
        catalog_sample,
        name="catalog-sample",
    ),
    path("pricing", billing_views.pricing, name="pricing"),
    path("dashboard/billing", billing_views.billing, name="billing"),
    path("dashboard/billing/checkout", billing_views.checkout, name="billing-checkout"),
    path("dashboard/billing/portal", billing_views.portal, name="billing-portal"),
    path("dashboard/credits", credits_views.credits_page, name="credits"),
]
