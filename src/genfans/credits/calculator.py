"""Credit prices. `calculate` is pure (rule parameters + job params → credits and breakdown;
a key the rule leaves out takes its DEFAULT_RULES value); `estimate` reads the operation's
active `PricingRule` and refuses with PricingNotConfigured when there is none (`genfans seed`
creates them). The same numbers are shown and reserved."""

import math
import re
from dataclasses import dataclass, field
from typing import Any

from genfans.credits.errors import InvalidPricingParams, OperationUnavailable, PricingNotConfigured
from genfans.credits.models import Operation, PricingRule

# The quality levels a job takes, fastest first, with the labels forms show. Defined once
# here, by the prices that depend on them; schemas, forms and validators derive from it.
QUALITY_CHOICES = (
    ("draft", "Draft (fastest)"),
    ("standard", "Standard"),
    ("high", "High (slowest)"),
)
QUALITIES = tuple(quality for quality, _ in QUALITY_CHOICES)
DEFAULT_QUALITY = "standard"

# Defaults keep the original ranges: model creation 50–100, refinement 30–60, images 5–20 each.
DEFAULT_RULES: dict[str, dict[str, Any]] = {
    Operation.IMAGE_GENERATION: {
        "per_image": 5,
        "quality_multipliers": {"draft": 1.0, "standard": 1.5, "high": 2.0},
        "resolution_tiers": [
            {"max_megapixels": 0.3, "multiplier": 1.0},
            {"max_megapixels": 1.1, "multiplier": 1.4},
            {"max_megapixels": 2.1, "multiplier": 1.7},
            {"max_megapixels": 4.2, "multiplier": 2.0},
        ],
        "min_per_image": 5,
        "max_per_image": 20,
        "max_num_images": 8,
        "min_side": 256,
        "max_side": 2048,
    },
    Operation.MODEL_CREATION: {
        "base": 40,
        "per_image": 2,
        "quality_multipliers": {"draft": 1.0, "standard": 1.25, "high": 1.5},
        "min": 50,
        "max": 100,
        "min_num_images": 1,
        "max_num_images": 50,
    },
    Operation.MODEL_REFINEMENT: {
        "base": 30,
        "per_image": 3,
        "quality_multipliers": {"draft": 1.0, "standard": 1.2, "high": 1.5},
        "min": 30,
        "max": 60,
        "min_num_images": 0,
        "max_num_images": 50,
    },
    Operation.VIDEO_GENERATION: {
        "per_second": {"480p": 4, "720p": 6, "1080p": 10},
        "resolution_short_side": {"480p": 480, "720p": 720, "1080p": 1080},
        "default_resolution": "720p",
        "durations": [5, 10],
        "min": 10,
        "max": 200,
    },
    Operation.FACE_SWAP: {
        "per_image": 5,
        "min_per_image": 5,
        "max_per_image": 10,
        "max_num_images": 10,
    },
}

# The operations priced: the job types (`credits.models.Operation`, which studio's JobType is).
OPERATIONS = tuple(Operation.values)
_INTEGER = re.compile(r"-?\d{1,12}")


@dataclass(frozen=True)
class Estimate:
    credits: int
    breakdown: list[dict] = field(default_factory=list)


# ---- parameter parsing: job params come from JSON and forms, so be strict and clear ----


def _int(params: dict, name: str, *, default: int | None = None, lo: int, hi: int) -> int:
    value = params.get(name, default)
    if value is None:
        raise InvalidPricingParams(f"{name} is required.", field=name)
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidPricingParams(f"{name} must be a whole number.", field=name)
    if not lo <= value <= hi:
        raise InvalidPricingParams(f"{name} must be between {lo} and {hi}.", field=name)
    return value


def _quality(params: dict, multipliers: dict) -> tuple[str, float]:
    quality = params.get("quality") or DEFAULT_QUALITY
    if not isinstance(quality, str) or quality not in multipliers:
        choices = ", ".join(multipliers)
        raise InvalidPricingParams(f"quality must be one of: {choices}.", field="quality")
    return quality, float(multipliers[quality])


def _clamp(value: int, lo: int, hi: int) -> int:
    return max(lo, min(hi, value))


def _round(value: float) -> int:
    # Half-up, and immune to binary noise such as 5 * 1.4 == 6.999999999999999.
    return math.floor(round(value, 6) + 0.5)


# ---- one pricing function per operation ----


def _image_generation(rule: dict, params: dict) -> Estimate:
    n = _int(params, "num_images", default=1, lo=1, hi=int(rule["max_num_images"]))
    lo_side, hi_side = int(rule["min_side"]), int(rule["max_side"])
    width = _int(params, "width", default=1024, lo=lo_side, hi=hi_side)
    height = _int(params, "height", default=1024, lo=lo_side, hi=hi_side)
    quality, q_mult = _quality(params, rule["quality_multipliers"])
    megapixels = width * height / 1_000_000
    tiers = sorted(rule["resolution_tiers"], key=lambda t: t["max_megapixels"])
    r_mult = next(
        (float(t["multiplier"]) for t in tiers if megapixels <= t["max_megapixels"]),
        float(tiers[-1]["multiplier"]),
    )
    per_image = _clamp(
        _round(rule["per_image"] * r_mult * q_mult),
        int(rule["min_per_image"]),
        int(rule["max_per_image"]),
    )
    return Estimate(
        credits=per_image * n,
        breakdown=[
            {"item": "base", "label": "Base price per image", "credits": rule["per_image"]},
            {
                "item": "resolution",
                "label": f"Resolution {width}×{height} ({megapixels:.1f} MP)",
                "multiplier": r_mult,
            },
            {"item": "quality", "label": f"Quality: {quality}", "multiplier": q_mult},
            {"item": "per_image", "label": "Per image", "credits": per_image},
            {"item": "count", "label": f"× {n} image{'s' if n != 1 else ''}", "quantity": n},
        ],
    )


def _model_training(rule: dict, params: dict, *, what: str) -> Estimate:
    n = _int(
        params,
        "num_images",
        default=int(rule["min_num_images"]),
        lo=int(rule["min_num_images"]),
        hi=int(rule["max_num_images"]),
    )
    quality, q_mult = _quality(params, rule["quality_multipliers"])
    raw = (rule["base"] + rule["per_image"] * n) * q_mult
    credits = _clamp(_round(raw), int(rule["min"]), int(rule["max"]))
    breakdown = [
        {"item": "base", "label": f"{what} base", "credits": rule["base"]},
        {
            "item": "images",
            "label": f"{n} photo{'s' if n != 1 else ''} × {rule['per_image']}",
            "credits": rule["per_image"] * n,
        },
        {"item": "quality", "label": f"Quality: {quality}", "multiplier": q_mult},
    ]
    if credits != _round(raw):
        breakdown.append(
            {
                "item": "bounds",
                "label": f"Kept within {rule['min']}–{rule['max']}",
                "credits": credits,
            }
        )
    return Estimate(credits=credits, breakdown=breakdown)


def _video_generation(rule: dict, params: dict) -> Estimate:
    durations = [int(d) for d in rule["durations"]]
    duration = _int(
        params, "duration_s", default=durations[0], lo=min(durations), hi=max(durations)
    )
    if duration not in durations:
        allowed = " or ".join(str(d) for d in durations)
        raise InvalidPricingParams(f"duration_s must be {allowed}.", field="duration_s")
    per_second = rule["per_second"]
    resolution = params.get("resolution")
    if resolution is None and (params.get("width") is not None or params.get("height") is not None):
        width = _int(params, "width", lo=1, hi=8192)
        height = _int(params, "height", lo=1, hi=8192)
        short = min(width, height)
        sides = sorted(rule["resolution_short_side"].items(), key=lambda kv: kv[1])
        resolution = next((name for name, side in sides if short <= side), sides[-1][0])
    resolution = resolution or rule["default_resolution"]
    if not isinstance(resolution, str) or resolution not in per_second:
        choices = ", ".join(per_second)
        raise InvalidPricingParams(f"resolution must be one of: {choices}.", field="resolution")
    rate = int(per_second[resolution])
    credits = _clamp(rate * duration, int(rule["min"]), int(rule["max"]))
    return Estimate(
        credits=credits,
        breakdown=[
            {"item": "per_second", "label": f"{resolution} per second", "credits": rate},
            {"item": "duration", "label": f"× {duration} seconds", "quantity": duration},
        ],
    )


def _face_swap(rule: dict, params: dict) -> Estimate:
    n = _int(params, "num_images", default=1, lo=1, hi=int(rule["max_num_images"]))
    per_image = _clamp(
        int(rule["per_image"]), int(rule["min_per_image"]), int(rule["max_per_image"])
    )
    return Estimate(
        credits=per_image * n,
        breakdown=[
            {"item": "per_image", "label": "Per swapped image", "credits": per_image},
            {"item": "count", "label": f"× {n} image{'s' if n != 1 else ''}", "quantity": n},
        ],
    )


PRICERS = {
    Operation.IMAGE_GENERATION: _image_generation,
    Operation.MODEL_CREATION: lambda rule, params: _model_training(
        rule, params, what="Model creation"
    ),
    Operation.MODEL_REFINEMENT: lambda rule, params: _model_training(
        rule, params, what="Refinement"
    ),
    Operation.VIDEO_GENERATION: _video_generation,
    Operation.FACE_SWAP: _face_swap,
}


def calculate(rule_parameters: dict, params: dict, *, operation: str | None = None) -> Estimate:
    """Pure: the price of `params` under `rule_parameters` (missing keys take the defaults).
    The operation is named by `operation`, or by an "operation" key in `rule_parameters`."""
    rule_parameters = dict(rule_parameters or {})
    operation = operation or rule_parameters.pop("operation", None)
    if operation not in PRICERS:
        raise InvalidPricingParams(f"Unknown operation {operation!r}.", field="operation")
    if not isinstance(params, dict):
        raise InvalidPricingParams("params must be an object.", field="params")
    rule = {**DEFAULT_RULES[operation], **rule_parameters}
    return PRICERS[operation](rule, params)


def bounds(rule_parameters: dict, *, operation: str) -> tuple[int, int]:
    """The least and most one unit costs: per image for images and face swaps, per job else."""
    rule = {**DEFAULT_RULES[operation], **(rule_parameters or {})}
    if "min_per_image" in rule:
        return int(rule["min_per_image"]), int(rule["max_per_image"])
    return int(rule["min"]), int(rule["max"])


SAMPLE_PARAMS = {
    Operation.IMAGE_GENERATION: [
        {"num_images": 1, "width": 256, "height": 256, "quality": "draft"},
        {"num_images": 4, "width": 2048, "height": 2048, "quality": "high"},
    ],
    Operation.MODEL_CREATION: [
        {"num_images": 1, "quality": "draft"},
        {"num_images": 50, "quality": "high"},
    ],
    Operation.MODEL_REFINEMENT: [{"num_images": 0, "quality": "draft"}, {"num_images": 10}],
    Operation.VIDEO_GENERATION: [{"duration_s": 5, "resolution": "480p"}, {"duration_s": 10}],
    Operation.FACE_SWAP: [{"num_images": 1}],
}


def rule_check(operation: str, rule_parameters: Any) -> list[str]:
    """Problems with rule parameters an admin typed, found by pricing sample jobs with them."""
    if operation not in PRICERS:
        return [f"Unknown operation {operation!r}."]
    if not isinstance(rule_parameters, dict):
        return ["Parameters must be a JSON object."]
    unknown = sorted(set(rule_parameters) - set(DEFAULT_RULES[operation]))
    if unknown:
        return [f"Unknown keys: {', '.join(unknown)}."]
    problems = []
    for sample in SAMPLE_PARAMS[operation]:
        try:
            result = calculate(rule_parameters, sample, operation=operation)
        except InvalidPricingParams:
            continue  # a stricter limit than the sample is a valid choice
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, StopIteration) as exc:
            return [f"Parameters do not price a sample job: {exc!r}."]
        if result.credits < 0:
            problems.append("Prices must not be negative.")
    return problems


def estimate(*, operation: str, params: dict) -> Estimate:
    if operation not in PRICERS:
        raise InvalidPricingParams(f"Unknown operation {operation!r}.", field="operation")
    rule = PricingRule.objects.filter(operation=operation).first()
    if rule is None:
        raise PricingNotConfigured(field="operation")
    if not rule.active:
        raise OperationUnavailable(field="operation")
    return calculate(rule.parameters, params, operation=operation)
