"""Shared lists are written once, in the app that owns them: the quality levels in
`credits.calculator` (the prices depend on them), the job types in `credits.models.Operation`
(studio's JobType is it). Anything else derives from those; this test finds copies."""

import ast
import re
from pathlib import Path

from genfans.credits.calculator import QUALITIES
from genfans.credits.models import Operation
from genfans.studio.models import JobType

SRC = Path(__file__).resolve().parents[2] / "src" / "genfans"
QUALITY_OWNER = "credits/calculator.py"
JOB_TYPE_OWNER = "credits/models.py"
# Keyed by job type for reasons of layering, not copies: settings load before the app registry
# (models cannot be imported), and providers sit below credits.
JOB_TYPE_KEYED_BELOW_CREDITS = {"config/settings.py", "providers/fal.py", "providers/sandbox.py"}


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if "/migrations/" not in relative:
            yield relative, ast.parse(path.read_text())


def _strings(node, *, dict_keys: bool = True) -> set[str]:
    """The string constants a literal list, tuple, set, dict (its keys) or class body names,
    directly or as the first item of a pair such as a choice; or the alternatives of a
    pattern such as "^(a|b)$"."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and "|" in node.value:
        return set(re.findall(r"[a-z_]+", node.value))
    if isinstance(node, ast.Dict) and dict_keys:
        items = node.keys
    elif isinstance(node, ast.List | ast.Tuple | ast.Set):
        items = node.elts
    elif isinstance(node, ast.ClassDef):
        items = [s.value for s in node.body if isinstance(s, ast.Assign)]
    else:
        return set()
    found = set()
    for item in items:
        if isinstance(item, ast.Tuple | ast.List) and item.elts:
            item = item.elts[0]
        if isinstance(item, ast.Constant) and isinstance(item.value, str):
            found.add(item.value)
    return found


def _copies(names: set[str], *, at_least: int, allowed: set[str], dict_keys=True) -> list[str]:
    return [
        f"{relative}:{node.lineno}"
        for relative, tree in _modules()
        if relative not in allowed
        for node in ast.walk(tree)
        if len(_strings(node, dict_keys=dict_keys) & names) >= at_least
    ]


def test_the_quality_levels_are_listed_once():
    # A table of one parameter per quality (inference steps, price multipliers) is not a
    # list of the levels; a list, a choice list or a pattern is.
    copies = _copies(
        set(QUALITIES), at_least=len(QUALITIES), allowed={QUALITY_OWNER}, dict_keys=False
    )
    assert copies == []


def test_the_job_types_are_listed_once():
    allowed = {JOB_TYPE_OWNER, *JOB_TYPE_KEYED_BELOW_CREDITS}
    assert _copies(set(Operation.values), at_least=3, allowed=allowed) == []


def test_studio_job_types_are_the_priced_operations():
    assert JobType is Operation
