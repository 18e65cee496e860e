#!/usr/bin/env bash
# Cross-check the manifests natively: build every manifest program's NAME.c
# for the host with the host's C compiler (output_byte becomes putchar),
# run it on the manifest input and compare with the expected output.
# The wasm side is check.mjs; both must agree with manifest.txt (and
# pending/manifest.txt).
# Usage: ./native.sh   (CC defaults to clang; gcc cannot build lowering.c,
#                       whose target("sign-ext") attribute is wasm's)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
CC="${CC:-clang}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/driver.c" <<'C'
#include <stdio.h>
void output_byte(int c) { putchar(c); }
void compute(const char *input);
int main(int argc, char **argv) {
    compute(argc > 1 ? argv[1] : "");
    return 0;
}
C
pass=0
fail=0
for manifest in manifest.txt pending/manifest.txt; do
    [ -f "$manifest" ] || continue
    dir=$(dirname "$manifest")
    while IFS=$'\t' read -r name input expected _; do
        [ -z "$name" ] || [[ "$name" == \#* ]] && continue
        src="$dir/$name.c"
        # Word splitting of the extra flags is wanted.
        # shellcheck disable=SC2207
        extra=($(sed -n 's/^[ /*]*build-flags: *//p' "$src" | head -n 1))
        # -w: the wasm import attributes mean nothing to the host compiler.
        "$CC" -O2 "${extra[@]}" -w -include runtime.h -o "$work/$name" "$src" "$work/driver.c"
        # The manifest's "\n", "\t" and "\\" escapes, read by printf %b;
        # the x keeps trailing newlines through $(...).
        printf -v arg '%b' "$input"
        printf -v want '%bx' "$expected"
        got=$("$work/$name" "$arg"; echo x)
        if [ "$got" == "$want" ]; then
            pass=$((pass + 1))
            echo "PASS native $dir/$name"
        else
            fail=$((fail + 1))
            echo "FAIL native $dir/$name"
            echo "  expected: $expected"
            printf '  got:      %q\n' "${got%x}"
        fi
    done <"$manifest"
done
echo "$pass/$((pass + fail)) passed"
[ "$fail" -eq 0 ]
