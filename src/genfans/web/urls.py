from django.urls import path

from genfans.web.views import account as account_views
from genfans.web.views import activity as activity_views
from genfans.web.views import api_keys as api_keys_views
from genfans.web.views import auth, dashboard, public
from genfans.web.views import billing as billing_views
from genfans.web.views import creations as creations_views
from genfans.web.views import credits as credits_views
from genfans.web.views import models as models_views
from genfans.web.views import studio as studio_views
from genfans.web.views import team as team_views
from genfans.web.views.catalog import catalog_detail, catalog_list, catalog_sample
from genfans.web.views.media import media

urlpatterns = [
    path("", public.landing, name="landing"),
    path("favicon.ico", public.favicon, name="favicon"),
    path("sign-in", auth.sign_in, name="sign-in"),
    path("sign-in/two-factor", auth.sign_in_two_factor, name="sign-in-two-factor"),
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
    path(
        "dashboard/billing/packs/checkout",
        billing_views.pack_checkout,
        name="billing-pack-checkout",
    ),
    path("dashboard/credits", credits_views.credits_page, name="credits"),
    # Accounts and teams (issue 2)
    path("forgot-password", auth.forgot_password, name="forgot-password"),
    path("reset-password/<str:uidb64>/<str:token>", auth.reset_password, name="reset-password"),
    path("invite/<str:invitation_id>", auth.invitation, name="invitation"),
    path("verify-email/<str:token>", auth.verify_email, name="verify-email"),
    path("dashboard/verify-email/resend", auth.verify_email_resend, name="verify-email-resend"),
    path("welcome", team_views.no_team, name="no-team"),
    path("dashboard/team", team_views.team, name="team"),
    path("dashboard/team/switch", team_views.switch, name="team-switch"),
    path("dashboard/team/leave", team_views.leave, name="team-leave"),
    path("dashboard/team/rename", team_views.rename, name="team-rename"),
    path("dashboard/team/two-factor", team_views.two_factor, name="team-two-factor"),
    path("dashboard/team/invite", team_views.invite, name="team-invite"),
    path(
        "dashboard/team/invitations/<str:invitation_id>/revoke",
        team_views.revoke_invitation,
        name="team-invitation-revoke",
    ),
    path("dashboard/team/members/<str:user_id>/role", team_views.change_role, name="team-role"),
    path(
        "dashboard/team/members/<str:user_id>/remove",
        team_views.remove_member,
        name="team-remove",
    ),
    path("dashboard/activity", activity_views.activity, name="activity"),
    path("dashboard/api-keys", api_keys_views.api_keys, name="api-keys"),
    path(
        "dashboard/api-keys/<str:api_key_id>/revoke", api_keys_views.revoke, name="api-key-revoke"
    ),
    path("dashboard/general", account_views.general, name="account-general"),
    path("dashboard/security", account_views.security, name="account-security"),
    path("dashboard/security/password", account_views.password_change, name="account-password"),
    path(
        "dashboard/security/sessions",
        account_views.sessions_end_others,
        name="account-sessions",
    ),
    path("dashboard/security/delete", account_views.delete_account, name="account-delete"),
    path("dashboard/security/export", account_views.data_export, name="account-export"),
    path(
        "dashboard/security/two-factor/start",
        account_views.two_factor_start,
        name="account-two-factor-start",
    ),
    path(
        "dashboard/security/two-factor/confirm",
        account_views.two_factor_confirm_view,
        name="account-two-factor-confirm",
    ),
    path(
        "dashboard/security/two-factor/disable",
        account_views.two_factor_disable_view,
        name="account-two-factor-disable",
    ),
    path(
        "dashboard/security/two-factor/recovery-codes",
        account_views.recovery_codes_regenerate_view,
        name="account-recovery-codes",
    ),
    # Generation and jobs (issue 5)
    path("dashboard/generate", studio_views.generate, name="generate"),
    path("dashboard/generate/estimate", studio_views.generate_estimate, name="generate-estimate"),
    path("dashboard/jobs", studio_views.jobs, name="jobs"),
    path("dashboard/jobs/<uuid:job_id>", studio_views.job_detail, name="job-detail"),
    path("dashboard/jobs/<uuid:job_id>/cancel", studio_views.job_cancel_view, name="job-cancel"),
    # Custom models, video, face swap and the gallery (issue 6)
    path("dashboard/models", models_views.model_list, name="models"),
    path("dashboard/models/new", models_views.model_new, name="model-new"),
    path("dashboard/models/new/estimate", models_views.model_new_estimate, name="model-estimate"),
    path("dashboard/models/<uuid:model_id>", models_views.model_detail, name="model-detail"),
    path(
        "dashboard/models/<uuid:model_id>/generate",
        models_views.model_generate,
        name="model-generate",
    ),
    path("dashboard/models/<uuid:model_id>/refine", models_views.model_refine, name="model-refine"),
    path("dashboard/models/<uuid:model_id>/rename", models_views.model_rename, name="model-rename"),
    path(
        "dashboard/models/<uuid:model_id>/archive", models_views.model_archive, name="model-archive"
    ),
    path("dashboard/video", creations_views.video, name="video"),
    path("dashboard/face-swap", creations_views.face_swap, name="face-swap"),
    path("dashboard/gallery", creations_views.gallery, name="gallery"),
    path(
        "dashboard/gallery/<uuid:asset_id>/delete",
        creations_views.gallery_delete,
        name="gallery-delete",
    ),
]
