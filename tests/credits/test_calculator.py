import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genfans.core.errors import ValidationError
from genfans.credits.admin import PricingRuleForm
from genfans.credits.calculator import (
    DEFAULT_RULES,
    QUALITIES,
    bounds,
    calculate,
    estimate,
    rule_check,
)
from genfans.credits.errors import OperationUnavailable, PricingNotConfigured
from genfans.credits.models import CreditReservation, PricingRule
from genfans.credits.seed import seed_pricing_rules
from genfans.credits.selectors import credits_balance_get
from genfans.credits.services import credits_reserve
from tests.credits.factories import give_credits, make_job

FAST = settings(max_examples=60, deadline=None)
IMG = DEFAULT_RULES["image_generation"]
sides = st.integers(IMG["min_side"], IMG["max_side"])
counts = st.integers(1, IMG["max_num_images"])
qualities = st.sampled_from(QUALITIES)


def price(operation, **params) -> int:
    return calculate({}, params, operation=operation).credits


class TestDefaultsKeepTheOriginalRanges:
    def test_image_generation_is_5_to_20_per_image(self):
        small = price("image_generation", width=256, height=256, quality="draft")
        large = price("image_generation", width=2048, height=2048, quality="high")
        assert (small, large) == (5, 20)

    def test_model_creation_is_50_to_100(self):
        assert price("model_creation", num_images=1, quality="draft") == 50
        assert price("model_creation", num_images=50, quality="high") == 100

    def test_refinement_is_30_to_60(self):
        assert price("model_refinement", num_images=0, quality="draft") == 30
        assert price("model_refinement", num_images=50, quality="high") == 60

    def test_video_is_per_second_by_resolution(self):
        assert price("video_generation", duration_s=5, resolution="480p") == 20
        assert price("video_generation", duration_s=10, resolution="1080p") == 100
        assert price("video_generation", duration_s=10, width=1280, height=720) == 60
        assert price("video_generation", duration_s=5) == 30

    def test_face_swap_is_per_image(self):
        assert price("face_swap") == 5
        assert price("face_swap", num_images=3) == 15

    def test_breakdown_explains_the_price(self):
        result = calculate(
            {},
            {"num_images": 2, "width": 1024, "height": 1024, "quality": "high"},
            operation="image_generation",
        )
        assert result.credits == 28
        items = {line["item"]: line for line in result.breakdown}
        assert items["per_image"]["credits"] == 14
        assert items["count"]["quantity"] == 2
        assert items["quality"]["multiplier"] == 2.0


class TestProperties:
    @FAST
    @given(w=sides, h=sides, q=qualities, n=counts)
    def test_image_generation_is_linear_in_num_images(self, w, h, q, n):
        one = price("image_generation", num_images=1, width=w, height=h, quality=q)
        assert price("image_generation", num_images=n, width=w, height=h, quality=q) == one * n

    @FAST
    @given(w=sides, h=sides, dw=st.integers(0, 1024), dh=st.integers(0, 1024), q=qualities)
    def test_image_generation_is_monotone_in_resolution(self, w, h, dw, dh, q):
        w2, h2 = min(w + dw, IMG["max_side"]), min(h + dh, IMG["max_side"])
        assert price("image_generation", width=w, height=h, quality=q) <= price(
            "image_generation", width=w2, height=h2, quality=q
        )

    @FAST
    @given(w=sides, h=sides, n=counts)
    def test_image_generation_is_monotone_in_quality(self, w, h, n):
        costs = [
            price("image_generation", num_images=n, width=w, height=h, quality=q) for q in QUALITIES
        ]
        assert costs == sorted(costs)

    @FAST
    @given(w=sides, h=sides, q=qualities, n=counts)
    def test_image_generation_stays_within_bounds(self, w, h, q, n):
        lo, hi = bounds({}, operation="image_generation")
        cost = price("image_generation", num_images=n, width=w, height=h, quality=q)
        assert lo * n <= cost <= hi * n

    @FAST
    @given(
        op=st.sampled_from(["model_creation", "model_refinement"]),
        n=st.integers(0, 49),
        q=qualities,
    )
    def test_training_is_monotone_in_photos_and_quality_and_bounded(self, op, n, q):
        n = max(n, DEFAULT_RULES[op]["min_num_images"])
        lo, hi = bounds({}, operation=op)
        cost = price(op, num_images=n, quality=q)
        assert lo <= cost <= hi
        assert cost <= price(op, num_images=n + 1, quality=q)
        ranked = [price(op, num_images=n, quality=x) for x in QUALITIES]
        assert ranked == sorted(ranked)

    @pytest.mark.parametrize("resolution", ["480p", "720p", "1080p"])
    def test_video_is_monotone_in_duration_and_resolution(self, resolution):
        assert price("video_generation", duration_s=5, resolution=resolution) < price(
            "video_generation", duration_s=10, resolution=resolution
        )
        by_res = [
            price("video_generation", duration_s=5, resolution=r)
            for r in DEFAULT_RULES["video_generation"]["per_second"]
        ]
        assert by_res == sorted(by_res)

    @FAST
    @given(
        short=st.integers(240, 2160), long_extra=st.integers(0, 1000), d=st.sampled_from([5, 10])
    )
    def test_video_by_size_is_monotone_and_bounded(self, short, long_extra, d):
        cost = price("video_generation", duration_s=d, width=short + long_extra, height=short)
        bigger = price(
            "video_generation", duration_s=d, width=short + 100 + long_extra, height=short + 100
        )
        assert cost <= bigger
        assert 10 <= cost <= 200

    @FAST
    @given(
        per_image=st.integers(1, 30),
        quality_mults=st.lists(st.floats(0.5, 3), min_size=3, max_size=3).map(sorted),
        w=sides,
        n=counts,
    )
    def test_edited_rules_keep_their_bounds(self, per_image, quality_mults, w, n):
        rule = {
            "per_image": per_image,
            "quality_multipliers": dict(zip(QUALITIES, quality_mults, strict=True)),
            "min_per_image": 3,
            "max_per_image": 25,
        }
        costs = [
            calculate(
                rule,
                {"num_images": n, "width": w, "height": w, "quality": q},
                operation="image_generation",
            ).credits
            for q in QUALITIES
        ]
        assert costs == sorted(costs)
        assert all(3 * n <= c <= 25 * n for c in costs)


class TestInvalidParams:
    @pytest.mark.parametrize(
        ("operation", "params"),
        [
            ("image_generation", {"num_images": 0}),
            ("image_generation", {"num_images": 9}),
            ("image_generation", {"num_images": "many"}),
            ("image_generation", {"num_images": True}),
            ("image_generation", {"width": 100}),
            ("image_generation", {"height": 4096}),
            ("image_generation", {"quality": "ultra"}),
            ("model_creation", {"num_images": 0}),
            ("model_refinement", {"num_images": -1}),
            ("video_generation", {"duration_s": 7}),
            ("video_generation", {"duration_s": 5, "resolution": "4k"}),
            ("face_swap", {"num_images": 11}),
            ("teleport", {}),
        ],
    )
    def test_invalid_params_are_a_validation_error(self, operation, params):
        with pytest.raises(ValidationError):
            calculate({}, params, operation=operation)

    def test_params_must_be_a_dict(self):
        with pytest.raises(ValidationError):
            calculate({}, ["num_images"], operation="face_swap")

    def test_numbers_from_forms_are_accepted(self):
        assert price("image_generation", num_images="2", width="1024", height=1024.0) == 2 * 11


@pytest.mark.django_db
class TestEstimateReadsTheDatabase:
    def test_the_seeded_rules_price_with_the_defaults(self):
        assert estimate(operation="face_swap", params={}).credits == 5

    def test_a_missing_rule_is_an_error_not_a_built_in_price(self):
        PricingRule.objects.filter(operation="face_swap").delete()

        with pytest.raises(PricingNotConfigured) as raised:
            estimate(operation="face_swap", params={})

        assert raised.value.code == "pricing_not_configured"
        assert "genfans seed" in raised.value.message

    def test_an_edited_rule_changes_the_price(self):
        seed_pricing_rules()
        PricingRule.objects.filter(operation="face_swap").update(parameters={"per_image": 8})
        assert estimate(operation="face_swap", params={"num_images": 2}).credits == 16

    def test_seeding_again_keeps_an_admins_edit(self):
        seed_pricing_rules()
        PricingRule.objects.filter(operation="face_swap").update(parameters={"per_image": 8})
        assert seed_pricing_rules() == 5
        assert PricingRule.objects.get(operation="face_swap").parameters == {"per_image": 8}

    def test_an_inactive_rule_makes_the_operation_unavailable(self):
        seed_pricing_rules()
        PricingRule.objects.filter(operation="face_swap").update(active=False)
        with pytest.raises(OperationUnavailable):
            estimate(operation="face_swap", params={})

    @settings(
        max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(w=sides, h=sides, q=qualities, n=counts)
    def test_estimate_equals_what_is_reserved(self, team, w, h, q, n):
        seed_pricing_rules()
        params = {"num_images": n, "width": w, "height": h, "quality": q}
        quote = estimate(operation="image_generation", params=params)
        give_credits(team, quote.credits)
        before = credits_balance_get(team=team).available
        job = make_job(team, params=params)
        credits_reserve(team=team, job=job, amount=quote.credits)
        assert CreditReservation.objects.get(job=job).amount == quote.credits
        assert credits_balance_get(team=team).available == before - quote.credits


class TestRuleCheck:
    def test_the_defaults_are_valid(self):
        for operation, parameters in DEFAULT_RULES.items():
            assert rule_check(operation, parameters) == []

    @pytest.mark.parametrize(
        "parameters",
        [[], {"per_imag": 5}, {"per_image": "five"}, {"quality_multipliers": {"draft": "x"}}],
    )
    def test_broken_parameters_are_reported(self, parameters):
        assert rule_check("image_generation", parameters)

    def test_admin_validation_uses_it(self, db):
        form = PricingRuleForm(
            data={"operation": "image_generation", "parameters": '{"per_image": "x"}'}
        )

        assert not form.is_valid()
        assert form.errors["parameters"] == rule_check("image_generation", {"per_image": "x"})
