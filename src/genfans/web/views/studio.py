"""Generate and Jobs pages: the same services as the API, with forms and live progress."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods, require_POST

from genfans.billing.entitlements import larger_images_plan
from genfans.billing.selectors import plan_effective_for_team
from genfans.catalog.selectors import reference_model_list
from genfans.core.errors import DomainError, NotFound
from genfans.core.http import client_ip
from genfans.credits import calculator
from genfans.credits.calculator import DEFAULT_QUALITY, QUALITY_CHOICES
from genfans.credits.selectors import credits_balance_get
from genfans.providers.errors import OperationUnavailable
from genfans.providers.higgsfield import soul_size
from genfans.providers.registry import provider_route
from genfans.studio.engine.services import job_cancel, job_submit
from genfans.studio.models import JobStatus, JobType
from genfans.studio.operations.image import SIZES
from genfans.studio.selectors import (
    custom_models_ready_for_team,
    job_get_for_team,
    job_list_for_team,
    queue_position_get,
)
from genfans.web.decorators import team_required
from genfans.web.errors import add_form_error
from genfans.web.forms import PromptField
from genfans.web.pagination import page_for_request

PAGE_SIZE = 20
# The errors a page answers with 402, as the API does.
PAYMENT_REQUIRED = {"insufficient_credits", "spend_limit_reached"}


def _size_label(width: int, height: int) -> str:
    """A size as the page offers it; where images go to Higgsfield, which takes a framing and
    a resolution rather than pixels, the label says what it will render instead."""
    label = f"{width} × {height}"
    try:
        provider = provider_route(JobType.IMAGE_GENERATION)
    except OperationUnavailable:
        return label
    if provider != "higgsfield":
        return label
    size = soul_size(width=width, height=height)
    if not size.differs:
        return label
    return f"{label} (Higgsfield: {size.aspect_ratio}, {size.resolution})"


class PricingForm(forms.Form):
    """The fields that decide the price, on their own so the estimate needs nothing else."""

    size = forms.ChoiceField()
    quality = forms.ChoiceField(choices=QUALITY_CHOICES, initial=DEFAULT_QUALITY)
    num_images = forms.IntegerField(label="Images", min_value=1, max_value=8, initial=4)

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.fields["size"].choices = [
            (f"{w}x{h}", _size_label(w, h)) for w, h in SIZES if max(w, h) <= plan.max_image_side
        ]
        larger = larger_images_plan(plan=plan)
        if larger is not None:
            self.fields["size"].help_text = format_html(
                'Up to {} px on your plan. <a href="/pricing?plan={}">{} makes {} px</a>.',
                plan.max_image_side,
                larger.code,
                larger.name,
                larger.max_image_side,
            )
        self.fields["size"].initial = "1024x1024"

    def pricing(self) -> dict:
        width, height = (int(x) for x in self.cleaned_data["size"].split("x"))
        return {
            "num_images": self.cleaned_data["num_images"],
            "width": width,
            "height": height,
            "quality": self.cleaned_data["quality"],
        }

    def estimate(self) -> int | None:
        """The credits this request would reserve, or None until it prices cleanly."""
        if not self.is_bound:
            initial = {name: self.get_initial_for_field(f, name) for name, f in self.fields.items()}
            return PricingForm(initial, plan=self.plan).estimate()
        if not self.is_valid():
            return None
        try:
            return calculator.estimate(
                operation=JobType.IMAGE_GENERATION, params=self.pricing()
            ).credits
        except DomainError:
            return None


class GenerateForm(PricingForm):
    field_order = ["model_id", "prompt", "size", "quality", "num_images", "seed"]

    model_id = forms.ChoiceField(label="Model")
    prompt = PromptField(widget=forms.Textarea(attrs={"rows": 3, "placeholder": "What happens?"}))
    seed = forms.IntegerField(required=False, min_value=0, max_value=2**31 - 1)

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        own = [(str(m.pk), m.name) for m in custom_models_ready_for_team(team=team)]
        catalog = [
            (str(m.pk), f"{m.name} · {m.get_category_display()}") for m in reference_model_list()
        ]
        self.fields["model_id"].choices = (
            [("Your models", own), ("Catalog", catalog)] if own else catalog
        )

    def job_params(self) -> dict:
        data = self.cleaned_data
        return {
            "model_id": data["model_id"],
            "prompt": data["prompt"],
            "seed": data["seed"],
            **self.pricing(),
        }


@team_required
@require_http_methods(["GET", "POST"])
def generate(request):
    team = request.team
    plan = plan_effective_for_team(team=team)
    initial = {"model_id": request.GET.get("model", "")}
    form = GenerateForm(request.POST or None, plan=plan, team=team, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            job = job_submit(
                team=team,
                user=request.user,
                job_type=JobType.IMAGE_GENERATION,
                params=form.job_params(),
                ip_address=client_ip(request),
            )
        except DomainError as error:
            add_form_error(form, error)
            status = 402 if error.code in PAYMENT_REQUIRED else 400
        else:
            return redirect("job-detail", job_id=job.pk)
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "web/studio/generate.html",
        {"form": form, "balance": credits_balance_get(team=team), "estimate": form.estimate()},
        status=status,
    )


@team_required
@require_POST
def generate_estimate(request):
    plan = plan_effective_for_team(team=request.team)
    form = PricingForm(request.POST, plan=plan)
    return render(
        request,
        "web/studio/generate.html#estimate",
        {"estimate": form.estimate(), "balance": credits_balance_get(team=request.team)},
    )


def _job_or_404(request, job_id):
    try:
        return job_get_for_team(team=request.team, job_id=job_id)
    except NotFound as exc:
        raise Http404 from exc


@team_required
def job_detail(request, job_id):
    job = _job_or_404(request, job_id)
    context = {"job": job, "queue_position": queue_position_get(team=request.team, job=job)}
    if request.htmx:
        return render(request, "web/studio/job.html#job", context)
    return render(request, "web/studio/job.html", context)


@team_required
def jobs(request):
    status = request.GET.get("status", "")
    job_type = request.GET.get("type", "")
    status = status if status in JobStatus.values else ""
    job_type = job_type if job_type in JobType.values else ""
    rows = job_list_for_team(team=request.team, status=status or None, job_type=job_type or None)
    page = page_for_request(request, rows, limit=PAGE_SIZE)
    context = {
        "page": page,
        "status": status,
        "type": job_type,
        "statuses": JobStatus.choices,
        "types": JobType.choices,
        "any_active": any(
            job.status in (JobStatus.QUEUED, JobStatus.RUNNING) for job in page.items
        ),
    }
    if request.htmx:
        return render(request, "web/studio/jobs.html#table", context)
    return render(request, "web/studio/jobs.html", context)


@team_required
@require_POST
def job_cancel_view(request, job_id):
    try:
        job_cancel(
            team=request.team, job_id=job_id, user=request.user, ip_address=client_ip(request)
        )
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Job canceled; its credits were released.")
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/dashboard/") else "jobs")
