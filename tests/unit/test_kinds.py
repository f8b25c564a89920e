"""What govbot knows about a kind of resource lives in its module under kinds/, nowhere else:
no CloudFormation type name and no switch on a kind's word outside kinds/."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from govbot.kinds import RESOURCE_TYPES

PACKAGE = Path(__file__).resolve().parents[2] / "layers" / "govbot" / "govbot"
TYPE_NAME = re.compile(r"^AWS::\w+::")
# govbot's own stack's resources that `govbot doctor` inspects (its schedule and rules): not
# kinds of resource govbot judges, so not kind knowledge.
OWN_STACK = {"AWS::Scheduler::Schedule", "AWS::Events::Rule"}


def kind_words() -> set[str]:
    return {w for rt in RESOURCE_TYPES.values() for w in (rt.type, rt.kind, *rt.aliases)}


def kind_knowledge(source: str, words: set[str]) -> list[str]:
    """Each CloudFormation type name, and each comparison or match against a kind's word or
    type ("== 'endpoint'", "in ('AWS::EC2::Volume', ...)", "startswith('AWS::EC2::')")."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and TYPE_NAME.match(node.value)
            and node.value not in OWN_STACK
        ):
            found.append(f"line {node.lineno}: {node.value!r}")
        compared: list[ast.expr] = []
        if isinstance(node, ast.Compare):
            compared = [node.left, *node.comparators]
        elif isinstance(node, ast.MatchValue):
            compared = [node.value]
        for expr in compared:
            items = expr.elts if isinstance(expr, ast.Tuple | ast.List | ast.Set) else [expr]
            found += [
                f"line {node.lineno}: compares with {c.value!r}"
                for c in items
                if isinstance(c, ast.Constant) and c.value in words
            ]
    return found


def test_no_kind_knowledge_outside_kinds() -> None:
    words = kind_words()
    outside = {
        str(path.relative_to(PACKAGE)): found
        for path in sorted(PACKAGE.rglob("*.py"))
        if "kinds" not in path.relative_to(PACKAGE).parts
        and (found := kind_knowledge(path.read_text(), words))
    }
    assert outside == {}


def test_the_check_sees_type_names_and_switches() -> None:
    words = kind_words()
    assert kind_knowledge('rtype = "AWS::SageMaker::Endpoint"\n', words)
    assert kind_knowledge('if rtype.startswith("AWS::EC2::"): pass\n', words)
    assert kind_knowledge('if kind == "volume": pass\n', words)
    assert kind_knowledge('if kind in ("sagemaker-endpoint", "x"): pass\n', words)
    assert kind_knowledge('match kind:\n    case "notebook":\n        pass\n', words)
    assert not kind_knowledge('doc = "CloudFormation type name, e.g. AWS::EC2::Volume."\n', words)


def test_the_stack_s_own_types_are_no_kind() -> None:
    assert not OWN_STACK & set(RESOURCE_TYPES)


def test_each_kind_lives_in_one_module_under_kinds() -> None:
    defined: dict[str, list[str]] = {}
    for path in sorted((PACKAGE / "kinds").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and TYPE_NAME.match(node.value)
                and node.value.count("::") == 2
            ):
                defined.setdefault(node.value, []).append(path.stem)
    assert set(defined) == set(RESOURCE_TYPES)
    assert {t: m for t, m in defined.items() if len(m) != 1} == {}


def test_a_detector_reads_with_what_its_kinds_read() -> None:
    from govbot.detectors import DETECTORS

    for det_id, det in DETECTORS.items():
        for kind in det.kinds:
            assert set(RESOURCE_TYPES[kind].reads) <= set(det.reads()), (det_id, kind)
