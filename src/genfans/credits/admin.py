"""Staff views of the ledger: balances, transactions and reservations are read-only (the ledger
changes only through services); pricing rules are editable; credits are granted or taken back
with the adjust form, which records the reason and logs it in the team's activity."""

import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from genfans.core.errors import DomainError
from genfans.credits.calculator import rule_check
from genfans.credits.models import CreditBalance, CreditReservation, CreditTransaction, PricingRule
from genfans.credits.services import credits_adjust
from genfans.teams.models import Team


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AdjustForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.order_by("name"))
    amount = forms.IntegerField(
        help_text="Positive to grant credits, negative to take them back.",
    )
    reason = forms.CharField(
        max_length=500, widget=forms.Textarea(attrs={"rows": 3}), help_text="Kept in the ledger."
    )
    token = forms.CharField(widget=forms.HiddenInput)

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError("Enter a non-zero amount.")
        return amount


@admin.register(CreditBalance)
class CreditBalanceAdmin(ReadOnlyAdmin):
    list_display = [
        "team",
        "available",
        "reserved",
        "subscription_available",
        "updated_at",
        "adjust_link",
    ]
    search_fields = ["team__name", "team__id"]
    list_select_related = ["team"]
    readonly_fields = ["team", "available", "reserved", "subscription_available", "updated_at"]

    @admin.display(description="")
    def adjust_link(self, obj):
        url = reverse("admin:credits_adjust") + f"?team={obj.team_id}"
        return format_html('<a href="{}">Grant or adjust</a>', url)

    def get_urls(self):
        extra = [
            path(
                "adjust/",
                self.admin_site.admin_view(self.adjust_view),
                name="credits_adjust",
            )
        ]
        return extra + super().get_urls()

    def adjust_view(self, request):
        if not request.user.has_perm("credits.add_credittransaction"):
            raise PermissionDenied
        if request.method == "POST":
            form = AdjustForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    row = credits_adjust(
                        team=data["team"],
                        amount=data["amount"],
                        reason=data["reason"],
                        user=request.user,
                        idempotency_key=f"admin-adjust:{data['token']}",
                    )
                except DomainError as error:
                    form.add_error(None, error.message)
                else:
                    messages.success(
                        request,
                        f"{data['team']}: {row.amount:+d} credits ({row.available_after} "
                        "available now).",
                    )
                    return redirect("admin:credits_creditbalance_changelist")
        else:
            form = AdjustForm(initial={"team": request.GET.get("team"), "token": uuid.uuid4()})
        context = {
            **self.admin_site.each_context(request),
            "title": "Grant or adjust credits",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/credits/adjust.html", context)


@admin.register(CreditTransaction)
class CreditTransactionAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "team",
        "kind",
        "amount",
        "available_after",
        "reserved_after",
        "job_id",
        "reference",
        "created_by",
    ]
    list_filter = ["kind"]
    search_fields = ["team__name", "idempotency_key", "reference", "job__id"]
    list_select_related = ["team", "created_by"]
    date_hierarchy = "created_at"


@admin.register(CreditReservation)
class CreditReservationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "team", "job_id", "amount", "status", "captured", "resolved_at"]
    list_filter = ["status"]
    search_fields = ["team__name", "job__id"]
    list_select_related = ["team"]


class PricingRuleForm(forms.ModelForm):
    """Refuses parameters the calculator cannot price (checked against sample jobs)."""

    class Meta:
        model = PricingRule
        fields = ["operation", "parameters", "active"]

    def clean(self):
        cleaned = super().clean()
        problems = rule_check(cleaned.get("operation"), cleaned.get("parameters"))
        if problems:
            self.add_error("parameters", problems)
        return cleaned


@admin.register(PricingRule)
class PricingRuleAdmin(admin.ModelAdmin):
    form = PricingRuleForm
    list_display = ["operation", "active", "updated_at"]
    list_filter = ["active"]
    readonly_fields = ["updated_at"]
    fields = ["operation", "parameters", "active", "updated_at"]
