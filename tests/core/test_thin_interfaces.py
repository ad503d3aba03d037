"""Interfaces read team data through selectors: no ORM query is built in a route or a view."""

import ast
from pathlib import Path

import pytest
from django.utils import timezone

from genfans.catalog.seed import seed_reference_models
from genfans.catalog.selectors import reference_model_list, reference_model_list_related
from genfans.teams.selectors import member_count_for_team
from tests.factories import make_member

SRC = Path(__file__).resolve().parents[2] / "src" / "genfans"
INTERFACES = [*sorted((SRC / "api").glob("*.py")), *sorted((SRC / "web" / "views").glob("*.py"))]
# Queryset methods with no dict or list namesake called the same way.
QUERY_METHODS = {
    "filter",
    "exclude",
    "order_by",
    "select_related",
    "prefetch_related",
    "annotate",
    "aggregate",
    "values_list",
    "first",
    "last",
    "exists",
}


def _queries(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and node.attr == "objects":
            found.append(f"{node.lineno}: .objects")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            if name in QUERY_METHODS or (name == "count" and not node.args):
                found.append(f"{node.lineno}: .{name}()")
    return found


@pytest.mark.parametrize("path", INTERFACES, ids=lambda p: p.relative_to(SRC).as_posix())
def test_no_orm_query_in_an_interface(path):
    assert _queries(path) == []


@pytest.mark.django_db
def test_member_count_leaves_out_deleted_people(team):
    make_member(team=team, email="second@example.com")
    gone = make_member(team=team, email="gone@example.com")
    type(gone).objects.filter(pk=gone.pk).update(deleted_at=timezone.now())
    assert member_count_for_team(team=team) == 2


@pytest.mark.django_db
def test_related_reference_models_are_the_others_of_the_category():
    seed_reference_models()
    model = reference_model_list().first()
    related = reference_model_list_related(model=model)
    expected = list(reference_model_list(category=model.category).exclude(pk=model.pk)[:4])
    assert related == expected and model not in related and len(related) <= 4
