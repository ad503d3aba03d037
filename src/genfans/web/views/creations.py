"""Video and Face swap pages, and the Gallery of the team's images and videos."""

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from genfans.billing.entitlements import operation_locked
from genfans.billing.selectors import plan_effective_for_team
from genfans.core.errors import DomainError, NotFound
from genfans.core.http import client_ip
from genfans.credits import calculator
from genfans.credits.selectors import credits_balance_get
from genfans.storage.models import AssetKind
from genfans.studio.engine.services import job_submit
from genfans.studio.gallery import gallery_asset_delete
from genfans.studio.models import CustomModelStatus, JobType
from genfans.studio.operations.video import ASPECT_RATIOS, VIDEO_DURATIONS, VIDEO_RESOLUTION
from genfans.studio.selectors import (
    asset_source_get_for_team,
    custom_model_list_for_team,
    custom_models_with_images_for_team,
    gallery_list_for_team,
)
from genfans.studio.uploaded import job_submit_with_uploads
from genfans.web.decorators import team_required
from genfans.web.errors import add_form_error
from genfans.web.forms import PromptField
from genfans.web.pagination import page_for_request

GALLERY_PAGE = 24
SOURCE_IMAGES = 24


def _ready_models(team):
    return list(custom_model_list_for_team(team=team, status=CustomModelStatus.READY))


def _model_choices(models, blank: str):
    return [("", blank)] + [(str(m.pk), m.name) for m in models]


def _job_id(request) -> str | None:
    """The job just submitted from this page, shown with live progress."""
    job_id = request.GET.get("job", "")
    return job_id if len(job_id) == 36 else None


# --- video ----------------------------------------------------------------------------------


class VideoForm(forms.Form):
    image_asset_id = forms.CharField(required=False, widget=forms.HiddenInput)
    model_id = forms.ChoiceField(required=False, label="…or a model's newest image")
    prompt = PromptField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "How should it move?"}),
    )
    duration_s = forms.TypedChoiceField(
        coerce=int, choices=[(d, f"{d} seconds") for d in VIDEO_DURATIONS], label="Length"
    )
    aspect_ratio = forms.ChoiceField(choices=[(a, a) for a in ASPECT_RATIOS], label="Aspect ratio")

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        # A video starts from the model's newest image: a model with none would only fail.
        self.fields["model_id"].choices = _model_choices(
            custom_models_with_images_for_team(team=team), "—"
        )

    def clean(self):
        data = super().clean()
        if not data.get("image_asset_id") and not data.get("model_id"):
            raise forms.ValidationError("Choose an image or a model.")
        return data


def _video_costs() -> dict[int, int]:
    return {
        d: calculator.estimate(
            operation=JobType.VIDEO_GENERATION,
            params={"duration_s": d, "resolution": VIDEO_RESOLUTION},
        ).credits
        for d in VIDEO_DURATIONS
    }


@team_required
@require_http_methods(["GET", "POST"])
def video(request):
    team = request.team
    initial = {"image_asset_id": request.GET.get("image", ""), "duration_s": 5}
    form = VideoForm(request.POST if request.method == "POST" else None, team=team, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            params = {
                "prompt": data["prompt"],
                "duration_s": data["duration_s"],
                "aspect_ratio": data["aspect_ratio"],
            }
            if data["image_asset_id"]:
                params["image_asset_id"] = data["image_asset_id"]
            else:
                params["model_id"] = data["model_id"]
            try:
                job = job_submit(
                    team=team,
                    user=request.user,
                    job_type=JobType.VIDEO_GENERATION,
                    params=params,
                    ip_address=client_ip(request),
                )
            except DomainError as error:
                add_form_error(form, error)
            else:
                return redirect(f"/dashboard/video?job={job.pk}")
        status = 400
    images = list(gallery_list_for_team(team=team, kind="image")[:SOURCE_IMAGES])
    selected = str(form["image_asset_id"].value() or "")
    if selected and all(str(image.pk) != selected for image in images):
        # An older image chosen in the gallery is offered too.
        older = asset_source_get_for_team(team=team, asset_id=selected, kinds=[AssetKind.IMAGE])
        images = [older, *images] if older else images
    return render(
        request,
        "web/media/video.html",
        {
            "form": form,
            "images": images,
            "selected_image": selected,
            "costs": _video_costs(),
            "balance": credits_balance_get(team=team),
            "locked": operation_locked(
                plan=plan_effective_for_team(team=team), operation=JobType.VIDEO_GENERATION
            ),
            "job_id": _job_id(request),
        },
        status=status,
    )


# --- face swap ------------------------------------------------------------------------------


class FaceSwapForm(forms.Form):
    model_id = forms.ChoiceField(required=False, label="A model's face")

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model_id"].choices = _model_choices(
            _ready_models(team), "— use a face photo instead —"
        )


@team_required
@require_http_methods(["GET", "POST"])
def face_swap(request):
    team = request.team
    form = FaceSwapForm(request.POST if request.method == "POST" else None, team=team)
    status = 200
    if request.method == "POST":
        target = request.FILES.get("target")
        face = request.FILES.get("face")
        if form.is_valid():
            model_id = form.cleaned_data["model_id"]
            if target is None:
                form.add_error(None, "Choose the photo to put the face on.")
            elif bool(model_id) == bool(face):
                form.add_error(None, "Choose either a model or a face photo.")
            else:
                files = {"target_upload_id": [target]}
                if not model_id:
                    files["face_upload_id"] = [face]

                def submit(ids):
                    params = {name: upload_ids[0] for name, upload_ids in ids.items()}
                    if model_id:
                        params["model_id"] = model_id
                    return job_submit(
                        team=team,
                        user=request.user,
                        job_type=JobType.FACE_SWAP,
                        params=params,
                        ip_address=client_ip(request),
                    )

                try:
                    job = job_submit_with_uploads(
                        team=team, user=request.user, files=files, submit=submit
                    )
                except DomainError as error:
                    add_form_error(form, error)
                else:
                    return redirect(f"/dashboard/face-swap?job={job.pk}")
        status = 400
    cost = calculator.estimate(operation=JobType.FACE_SWAP, params={"num_images": 1}).credits
    return render(
        request,
        "web/media/face_swap.html",
        {
            "form": form,
            "cost": cost,
            "balance": credits_balance_get(team=team),
            "locked": operation_locked(
                plan=plan_effective_for_team(team=team), operation=JobType.FACE_SWAP
            ),
            "job_id": _job_id(request),
        },
        status=status,
    )


# --- gallery --------------------------------------------------------------------------------


@team_required
def gallery(request):
    team = request.team
    kind = request.GET.get("kind", "")
    kind = kind if kind in ("image", "video") else ""
    models = list(custom_model_list_for_team(team=team)) + list(
        custom_model_list_for_team(team=team, status=CustomModelStatus.ARCHIVED)
    )
    model_id = request.GET.get("model", "")
    model_id = model_id if any(str(m.pk) == model_id for m in models) else ""
    assets = gallery_list_for_team(team=team, kind=kind or None, custom_model_id=model_id or None)
    page = page_for_request(request, assets, limit=GALLERY_PAGE)
    names = {str(m.pk): m.name for m in models}
    context = {
        "items": [
            {"asset": a, "model_name": names.get((a.job.params or {}).get("custom_model_id"))}
            if a.job_id
            else {"asset": a, "model_name": None}
            for a in page.items
        ],
        "next_cursor": page.next_cursor,
        "first_page": not request.GET.get("cursor"),
        "kind": kind,
        "model_id": model_id,
        "models": models,
    }
    if request.htmx and request.htmx.target == "gallery":
        return render(request, "web/gallery/gallery.html#grid", context)
    return render(request, "web/gallery/gallery.html", context)


@team_required
@require_POST
def gallery_delete(request, asset_id):
    try:
        gallery_asset_delete(team=request.team, asset_id=asset_id)
    except NotFound as exc:
        raise Http404 from exc
    if request.htmx:
        return HttpResponse("")
    return redirect("gallery")
