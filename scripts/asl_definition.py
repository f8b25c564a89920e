"""The organisation sweep's state machine definition as Step Functions receives it: the ASL
file with the template's DefinitionSubstitutions put in (the template's defaults for the
numbers, ARN-shaped stand-ins for the rest), for asl-validator (`make validate`) and tests.

    python scripts/asl_definition.py [OUT]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ASL = ROOT / "statemachines" / "org-sweep.asl.json"
TEMPLATE = ROOT / "template.yaml"
# The template's parameters the definition takes as numbers: their defaults.
NUMBERS = ("MaxConcurrency", "ToleratedFailurePercentage")


def default(parameter: str) -> str:
    found = re.search(
        rf"^  {parameter}:\n(?:    .*\n)*?    Default: (\S+)", TEMPLATE.read_text(), re.M
    )
    if not found:
        raise SystemExit(f"template.yaml has no default for parameter {parameter}")
    return found[1]


def definition(values: dict[str, str] | None = None) -> str:
    given = {
        **{name: default(name) for name in NUMBERS},
        "ResultsBucketName": "govbot-org-sweep-results",
        **(values or {}),
    }

    def put(match: re.Match[str]) -> str:
        name = match[1]
        return given.get(name, f"arn:aws:lambda:us-east-1:123456789012:function:{name}")

    text = re.sub(r"\$\{(\w+)\}", put, ASL.read_text())
    json.loads(text)  # a substitution left the JSON broken: say so here, not in the validator
    return text


if __name__ == "__main__":
    out = definition()
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(out)
    else:
        print(out)
