#!/usr/bin/env bash
# Rebuild every NAME.c in this directory and in pending/ into NAME.wasm
# (next to it). Flags match the reference toolchain; do not change them
# casually. A source may add flags after the common ones with a header line
# "build-flags: FLAGS" (e.g. "build-flags: -O0", which overrides -O2).
# Usage: ./build.sh            (idempotent; always rebuilds everything)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

CLANG="${CLANG:-clang}"
if ! command -v "$CLANG" >/dev/null 2>&1; then
    echo "build.sh: error: '$CLANG' not found (install with: apt-get install -y clang lld)" >&2
    exit 1
fi
if ! command -v wasm-ld >/dev/null 2>&1; then
    echo "build.sh: error: 'wasm-ld' not found (install with: apt-get install -y lld)" >&2
    exit 1
fi

FLAGS=(--target=wasm32 -nostdlib -O2 -fno-builtin -fno-jump-tables
       -mllvm --combiner-store-merging=false
       -Wl,--no-entry -Wl,--export=compute -Wl,--export=__heap_base
       -Wl,-z,stack-size=4096 -Wl,--initial-memory=10485760
       -include "$PWD/runtime.h")

shopt -s nullglob
srcs=(*.c pending/*.c)
if [ ${#srcs[@]} -eq 0 ]; then
    echo "build.sh: error: no .c files in $(pwd)" >&2
    exit 1
fi
for src in "${srcs[@]}"; do
    name="${src%.c}"
    # Word splitting of the extra flags is wanted.
    # shellcheck disable=SC2207
    extra=($(sed -n 's/^[ /*]*build-flags: *//p' "$src" | head -n 1))
    echo "build.sh: $src -> $name.wasm${extra[*]:+ (${extra[*]})}"
    "$CLANG" "${FLAGS[@]}" "${extra[@]}" -o "$name.wasm" "$src"
done
