"""My Models, the create-model wizard and a model's page: the same services as the API."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from genfans.catalog.selectors import reference_model_list
from genfans.core.errors import DomainError, NotFound
from genfans.core.http import client_ip
from genfans.credits import calculator
from genfans.credits.selectors import credits_balance_get
from genfans.studio.custom_models import (
    custom_model_archive,
    custom_model_create,
    custom_model_generate,
    custom_model_refine,
    custom_model_rename,
)
from genfans.studio.models import CustomModelStatus, JobType, ModelVersionStatus
from genfans.studio.operations.model_creation import MAX_PHOTOS, MIN_PHOTOS
from genfans.studio.operations.model_refinement import MAX_REFINE_PHOTOS
from genfans.studio.operations.training import MIN_PHOTO_SIDE
from genfans.studio.selectors import (
    custom_model_detail_for_team,
    custom_model_list_for_team,
    gallery_list_for_team,
)
from genfans.studio.uploaded import job_submit_with_uploads
from genfans.web.decorators import team_required
from genfans.web.errors import add_form_error

SQUARE_SIZES = [("512", "512 × 512"), ("768", "768 × 768"), ("1024", "1024 × 1024")]


def _estimate(operation: str, *, num_images: int, quality: str) -> int | None:
    try:
        return calculator.estimate(
            operation=operation, params={"num_images": num_images, "quality": quality}
        ).credits
    except DomainError:
        return None


class NewModelForm(forms.Form):
    reference_model_id = forms.ChoiceField(label="Reference model", widget=forms.RadioSelect)
    name = forms.CharField(max_length=80, label="Name")
    quality = forms.ChoiceField(
        choices=calculator.QUALITY_CHOICES, initial=calculator.DEFAULT_QUALITY
    )

    def __init__(self, *args, references, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reference_model_id"].choices = [(str(r.pk), r.name) for r in references]


class RefineForm(forms.Form):
    instructions = forms.CharField(
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "e.g. sharper jawline, freckles"}),
    )
    quality = forms.ChoiceField(
        choices=calculator.QUALITY_CHOICES,
        initial=calculator.DEFAULT_QUALITY,
        label="Training quality",
    )


class ModelGenerateForm(forms.Form):
    prompt = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 2, "placeholder": "What happens?"})
    )
    version = forms.TypedChoiceField(coerce=int, label="Version")
    size = forms.ChoiceField(choices=SQUARE_SIZES, initial="1024")
    quality = forms.ChoiceField(
        choices=calculator.QUALITY_CHOICES, initial=calculator.DEFAULT_QUALITY
    )
    num_images = forms.IntegerField(label="Images", min_value=1, max_value=8, initial=1)

    def __init__(self, *args, versions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].choices = [
            (v.number, f"v{v.number} · {v.get_kind_display()}") for v in versions
        ]


class RenameForm(forms.Form):
    name = forms.CharField(max_length=80)


def _photo_files(request, *, low: int, high: int, form: forms.Form) -> list | None:
    files = request.FILES.getlist("photos")
    if not low <= len(files) <= high:
        form.add_error(None, f"Choose {low} to {high} photos (you chose {len(files)}).")
        return None
    return files


def _upload_error(form, error: DomainError) -> None:
    # Every refused file is named, not only the first.
    refused = error.details.get("files")
    if refused:
        for file in refused:
            form.add_error(None, f"{file['file_name']}: {file['message']}")
    else:
        add_form_error(form, error)


# --- My Models ------------------------------------------------------------------------------


@team_required
def model_list(request):
    status = request.GET.get("status", "")
    status = status if status in CustomModelStatus.values else ""
    models = list(custom_model_list_for_team(team=request.team, status=status or None)[:60])
    context = {
        "models": models,
        "status": status,
        "statuses": CustomModelStatus.choices,
        "any_training": any(m.status == CustomModelStatus.TRAINING for m in models),
    }
    if request.htmx and request.htmx.target == "model-cards":
        return render(request, "web/models/list.html#cards", context)
    return render(request, "web/models/list.html", context)


# --- the create-model wizard ----------------------------------------------------------------


@team_required
@require_http_methods(["GET", "POST"])
def model_new(request):
    team = request.team
    references = list(reference_model_list())
    initial = {"reference_model_id": request.GET.get("reference", "")}
    form = NewModelForm(
        request.POST if request.method == "POST" else None, references=references, initial=initial
    )
    status = 200
    if request.method == "POST":
        files = _photo_files(request, low=MIN_PHOTOS, high=MAX_PHOTOS, form=form)
        if form.is_valid() and files is not None:
            cost = _estimate(
                JobType.MODEL_CREATION, num_images=len(files), quality=form.cleaned_data["quality"]
            )
            # Check before storing any photo; the job's reservation is still the real check.
            if cost is not None and cost > credits_balance_get(team=team).available:
                form.add_error(None, f"Training costs {cost} credits: get more credits first.")
                files = None
        if form.is_valid() and files is not None:
            try:
                model, _ = job_submit_with_uploads(
                    team=team,
                    user=request.user,
                    files={"upload_ids": files},
                    min_side=MIN_PHOTO_SIDE,
                    submit=lambda ids: custom_model_create(
                        team=team,
                        user=request.user,
                        name=form.cleaned_data["name"],
                        reference_model_id=form.cleaned_data["reference_model_id"],
                        upload_ids=ids["upload_ids"],
                        quality=form.cleaned_data["quality"],
                        ip_address=client_ip(request),
                    ),
                )
            except DomainError as error:
                _upload_error(form, error)
            else:
                messages.success(request, f"Training {model.name}: this page updates live.")
                return redirect("model-detail", model_id=model.pk)
        status = 400
    selected = form["reference_model_id"].value() or ""
    return render(
        request,
        "web/models/new.html",
        {
            "form": form,
            "references": references,
            "selected": str(selected),
            "balance": credits_balance_get(team=team),
            "estimate": None,
            "min_photos": MIN_PHOTOS,
            "max_photos": MAX_PHOTOS,
            "min_side": MIN_PHOTO_SIDE,
            "max_upload_bytes": settings.MAX_UPLOAD_BYTES,
        },
        status=status,
    )


@team_required
@require_POST
def model_new_estimate(request):
    try:
        count = int(request.POST.get("num_images", "0"))
    except ValueError:
        count = 0
    quality = request.POST.get("quality", calculator.DEFAULT_QUALITY)
    valid = MIN_PHOTOS <= count <= MAX_PHOTOS
    return render(
        request,
        "web/models/new.html#estimate",
        {
            "estimate": _estimate(JobType.MODEL_CREATION, num_images=count, quality=quality)
            if valid
            else None,
            "count": count,
            "balance": credits_balance_get(team=request.team),
            "min_photos": MIN_PHOTOS,
            "max_photos": MAX_PHOTOS,
        },
    )


# --- a model's page -------------------------------------------------------------------------


def _model_or_404(request, model_id):
    try:
        return custom_model_detail_for_team(team=request.team, model_id=model_id)
    except NotFound as exc:
        raise Http404 from exc


def _detail_context(request, model, **extra) -> dict:
    versions = model.version_list
    ready = [v for v in versions if v.status == ModelVersionStatus.READY]
    training = next((v for v in versions if v.status == ModelVersionStatus.TRAINING), None)
    current = model.current_version.number if model.current_version else None
    context = {
        "model": model,
        "versions": versions,
        "training": training,
        "live": training is not None,
        "generate_form": ModelGenerateForm(versions=ready, initial={"version": current}),
        "refine_form": RefineForm(prefix="refine"),
        "rename_form": RenameForm(initial={"name": model.name}),
        "creations": list(
            gallery_list_for_team(team=request.team, custom_model_id=str(model.pk))[:8]
        ),
        "refine_cost": _estimate(
            JobType.MODEL_REFINEMENT, num_images=0, quality=calculator.DEFAULT_QUALITY
        ),
        "balance": credits_balance_get(team=request.team),
        "max_refine_photos": MAX_REFINE_PHOTOS,
    }
    return context | extra


@team_required
def model_detail(request, model_id):
    model = _model_or_404(request, model_id)
    context = _detail_context(request, model)
    if request.htmx and request.htmx.target == "model-live":
        if not context["live"]:
            # Training just ended: reload so the generate and refine forms appear.
            return HttpResponseClientRefresh()
        return render(request, "web/models/detail.html#live", context)
    return render(request, "web/models/detail.html", context)


@team_required
@require_POST
def model_generate(request, model_id):
    model = _model_or_404(request, model_id)
    ready = [v for v in model.version_list if v.status == ModelVersionStatus.READY]
    form = ModelGenerateForm(request.POST, versions=ready)
    if form.is_valid():
        data = form.cleaned_data
        side = int(data["size"])
        try:
            job = custom_model_generate(
                team=request.team,
                user=request.user,
                model_id=model.pk,
                version=data["version"],
                params={
                    "prompt": data["prompt"],
                    "num_images": data["num_images"],
                    "width": side,
                    "height": side,
                    "quality": data["quality"],
                },
                ip_address=client_ip(request),
            )
        except DomainError as error:
            add_form_error(form, error)
        else:
            return redirect("job-detail", job_id=job.pk)
    context = _detail_context(request, model, generate_form=form)
    return render(request, "web/models/detail.html", context, status=400)


@team_required
@require_POST
def model_refine(request, model_id):
    model = _model_or_404(request, model_id)
    form = RefineForm(request.POST, prefix="refine")
    files = _photo_files(request, low=0, high=MAX_REFINE_PHOTOS, form=form)
    if form.is_valid() and files is not None:
        try:
            _, version, _ = job_submit_with_uploads(
                team=request.team,
                user=request.user,
                files={"upload_ids": files},
                min_side=MIN_PHOTO_SIDE,
                submit=lambda ids: custom_model_refine(
                    team=request.team,
                    user=request.user,
                    model_id=model.pk,
                    instructions=form.cleaned_data["instructions"],
                    upload_ids=ids["upload_ids"],
                    quality=form.cleaned_data["quality"],
                    ip_address=client_ip(request),
                ),
            )
        except DomainError as error:
            _upload_error(form, error)
        else:
            messages.success(request, f"Training version {version.number}.")
            return redirect("model-detail", model_id=model.pk)
    context = _detail_context(request, model, refine_form=form)
    return render(request, "web/models/detail.html", context, status=400)


@team_required
@require_POST
def model_rename(request, model_id):
    form = RenameForm(request.POST)
    if form.is_valid():
        try:
            custom_model_rename(
                team=request.team, model_id=model_id, name=form.cleaned_data["name"]
            )
        except NotFound as exc:
            raise Http404 from exc
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Renamed.")
    else:
        messages.error(request, "The name must be 1 to 80 characters.")
    return redirect("model-detail", model_id=model_id)


@team_required
@require_POST
def model_archive(request, model_id):
    try:
        model = custom_model_archive(team=request.team, model_id=model_id)
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("model-detail", model_id=model_id)
    messages.success(request, f"{model.name} was archived.")
    return redirect("models")
