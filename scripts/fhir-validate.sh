#!/usr/bin/env bash
# Validates a FHIR R4 (4.0.1) Bundle in JSON read from standard input — what
# `History.Export("fhir")` returns — with fhir.resources from PyPI (a validator nobody on the
# team wrote), installing it into target/venv-fhir when it is missing. fhir.resources 6.4.0 is
# the last series whose models are R4 4.0.1 (7.x is R5, 6.5 is R4B); it needs pydantic 1.
# Prints what the bundle holds and exits 0 if it is valid, else prints the errors and exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."

FHIR_RESOURCES_VERSION=6.4.0
PYDANTIC_VERSION=1.10.27
VENV=target/venv-fhir

if ! "$VENV/bin/python" -c "import fhir.resources as f, sys; sys.exit(f.__version__ != '$FHIR_RESOURCES_VERSION')" 2>/dev/null; then
    echo "fhir-validate: installing fhir.resources $FHIR_RESOURCES_VERSION into $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check \
        "fhir.resources==$FHIR_RESOURCES_VERSION" "pydantic==$PYDANTIC_VERSION"
fi

# The program in a variable: standard input stays the bundle.
read -r -d '' program <<'PY' || true
import collections, json, sys

import fhir.resources
import pydantic
from fhir.resources import construct_fhir_element
from fhir.resources.bundle import Bundle

assert fhir.resources.__fhir_version__ == "4.0.1", fhir.resources.__fhir_version__
data = json.load(sys.stdin)
try:
    bundle = Bundle.parse_obj(data)
    kinds = collections.Counter()
    for entry in data.get("entry", []):
        # Each resource once more as its own type, so that its own rules are applied.
        res = entry["resource"]
        construct_fhir_element(res["resourceType"], res)
        kinds[res["resourceType"]] += 1
except (pydantic.ValidationError, KeyError, TypeError, LookupError) as e:
    print(f"fhir-validate: invalid FHIR R4 {fhir.resources.__fhir_version__}:\n{e}")
    sys.exit(1)
held = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "no entries"
print(f"fhir-validate: valid FHIR R4 {fhir.resources.__fhir_version__} Bundle ({bundle.type}): {held}")
PY
exec "$VENV/bin/python" -c "$program"
