#!/bin/sh
# Builds softfloat.wasm from softfloat.c with clang (14 or later, wasm32
# target, wasm-ld) and wabt (wasm2wat, wat2wasm). The output is committed;
# tests/softfloat.rs checks the committed file.
#
# The exports are the functions marked export_name in softfloat.c, nothing
# else. wasm-ld always defines a memory, a table and the __stack_pointer
# global; the runtime uses none of them, so they are removed from the text
# form, after checking that no instruction touches memory, globals, tables
# or floats.
set -eu
cd "$(dirname "$0")"
CLANG=${CLANG:-clang}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$CLANG" --target=wasm32 -O2 -nostdlib -ffreestanding -fno-builtin \
  -Wall -Wextra -Werror \
  -Wl,--no-entry -Wl,--strip-all -Wl,--no-export-dynamic \
  -o "$tmp/linked.wasm" softfloat.c
wasm2wat "$tmp/linked.wasm" -o "$tmp/linked.wat"

forbidden='(f32|f64)\.[a-z]|load|store|global\.|memory\.|call_indirect|table\.'
if grep -v '^ *(export ' "$tmp/linked.wat" | grep -nE "$forbidden"; then
  echo "build.sh: clang emitted an instruction the runtime must not use (above)" >&2
  exit 1
fi
# Functions 0 and 1 are the two trap imports; the exports call nothing else.
if grep -E '\bcall ([2-9]|[1-9][0-9])' "$tmp/linked.wat"; then
  echo "build.sh: a call to something other than the trap imports (above)" >&2
  exit 1
fi

grep -vE '^ *\((table|memory|global) |^ *\(export "memory"' "$tmp/linked.wat" >"$tmp/runtime.wat"
wat2wasm "$tmp/runtime.wat" -o "$tmp/runtime.wasm"
mv "$tmp/runtime.wasm" softfloat.wasm
