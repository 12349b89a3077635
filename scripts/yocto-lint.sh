#!/usr/bin/env bash
# Lints the Yocto layer (yocto/meta-stimd) with oelint-adv for the release it declares,
# installing oelint-adv from PyPI into target/venv-oelint when it is missing.
# Fails on any error, and on any warning whose rule id is not explained in the table of
# yocto/meta-stimd/README.md ("Lint"). Informational findings are hidden.
set -euo pipefail
cd "$(dirname "$0")/.."

OELINT_VERSION=9.11.2 # a 9.x that knows --release wrynose
RELEASE=wrynose
LAYER=yocto/meta-stimd
VENV=target/venv-oelint

if [ "$("$VENV/bin/oelint-adv" --version 2>/dev/null)" != "oelint-adv $OELINT_VERSION" ]; then
    echo "yocto-lint: installing oelint-adv $OELINT_VERSION into $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "oelint-adv==$OELINT_VERSION"
fi

mapfile -t files < <(find "$LAYER" \( -name '*.bb' -o -name '*.bbappend' -o -name 'layer.conf' \) | sort)
# Rule ids the layer README explains: rows of its table that start with | `oelint.…` |.
mapfile -t explained < <(sed -n 's/^| `\(oelint\.[^`]*\)` |.*/\1/p' "$LAYER/README.md")

# oelint-adv exits non-zero on any finding; count them here instead.
findings=$("$VENV/bin/oelint-adv" --quiet --relpaths --mode all --release "$RELEASE" \
    --hide info --messageformat '{path}:{line}:{severity}:{id}:{msg}' "${files[@]}" 2>&1 || true)

errors=0 warnings=0 unexplained=0
while IFS= read -r f; do
    [ -n "$f" ] || continue
    IFS=: read -r _ _ severity id _ <<<"$f"
    case "$severity" in
    error) errors=$((errors + 1)); echo "$f" ;;
    warning)
        warnings=$((warnings + 1))
        if printf '%s\n' "${explained[@]}" | grep -qxF "$id"; then
            echo "$f (explained in $LAYER/README.md)"
        else
            unexplained=$((unexplained + 1)); echo "$f (not explained in $LAYER/README.md)"
        fi ;;
    *) errors=$((errors + 1)); echo "yocto-lint: unexpected output: $f" ;;
    esac
done <<<"$findings"

echo "yocto-lint: oelint-adv $OELINT_VERSION --release $RELEASE, ${#files[@]} files:" \
    "$errors errors, $warnings warnings ($unexplained unexplained)"
[ "$errors" -eq 0 ] && [ "$unexplained" -eq 0 ]
