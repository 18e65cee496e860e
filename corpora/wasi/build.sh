#!/usr/bin/env bash
# Rebuild every NAME.c in this directory into NAME.wasm: WASI commands
# (`_start`) built against Debian's wasi-libc. printf is linked without
# floating point (libc-printscan-no-floating-point), which keeps f32/f64
# code out of the program, unless a source says "full-printf" on a header
# line (printf_float.c). Installs nothing: needs `apt-get install -y clang lld
# wasi-libc libclang-rt-14-dev-wasm32`.
# Usage: ./build.sh            (idempotent; always rebuilds everything)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

CLANG="${CLANG:-clang}"
if ! command -v "$CLANG" >/dev/null 2>&1; then
    echo "build.sh: error: '$CLANG' not found (install with: apt-get install -y clang lld)" >&2
    exit 1
fi
if ! "$CLANG" --target=wasm32-wasi -print-file-name=libc-printscan-no-floating-point.a \
        | grep -q /; then
    echo "build.sh: error: wasi-libc not found (install with: apt-get install -y wasi-libc libclang-rt-14-dev-wasm32)" >&2
    exit 1
fi

FLAGS=(--target=wasm32-wasi -O2)

shopt -s nullglob
srcs=(*.c)
if [ ${#srcs[@]} -eq 0 ]; then
    echo "build.sh: error: no .c files in $(pwd)" >&2
    exit 1
fi
for src in "${srcs[@]}"; do
    name="${src%.c}"
    printf_lib=(-lc-printscan-no-floating-point)
    if grep -q "full-printf" "$src"; then
        printf_lib=()
    fi
    echo "build.sh: $src -> $name.wasm${printf_lib[*]:+ (${printf_lib[*]})}"
    "$CLANG" -o "$name.wasm" "$src" "${FLAGS[@]}" "${printf_lib[@]}"
done
