#!/usr/bin/env bash
# Rebuild every NAME.c in this directory into NAME.wasm (next to it).
# Flags match the reference toolchain; do not change them casually.
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
       -include runtime.h)

shopt -s nullglob
srcs=(*.c)
if [ ${#srcs[@]} -eq 0 ]; then
    echo "build.sh: error: no .c files in $(pwd)" >&2
    exit 1
fi
for src in "${srcs[@]}"; do
    name="${src%.c}"
    echo "build.sh: $src -> $name.wasm"
    "$CLANG" "${FLAGS[@]}" -o "$name.wasm" "$src"
done
