#!/usr/bin/env bash
# Report which "unwanted" wasm features each built NAME.wasm uses.
# Needs wabt (wasm-objdump): apt-get install -y wabt
# Checked: i64 ops/types, floats, call_indirect, br_table, memory.grow /
# memory.size, bulk memory (memory.copy/fill/init, data.drop, passive data),
# multi-value (functions or blocks with more than one result or with
# params), plus sign-ext (extend8_s/extend16_s, reported as info only).
# Exit status 1 if any unwanted feature is found.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if ! command -v wasm-objdump >/dev/null 2>&1; then
    echo "features.sh: error: wasm-objdump not found (apt-get install -y wabt)" >&2
    exit 2
fi
shopt -s nullglob
bad=0
for w in *.wasm pending/*.wasm; do
    dis=$(wasm-objdump -d "$w" | grep ' | ' | sed 's/.*| *//')
    # Without the data segments' hex dump, whose bytes can spell "f64".
    hdr=$(wasm-objdump -x "$w" | grep -v '^ *- [0-9a-f]\{7\}:')
    found=()
    grep -q '^i64\.\|^i32\.wrap_i64' <<<"$dis" && found+=("i64-ops")
    grep -q 'i64' <<<"$hdr" && found+=("i64-types")
    grep -q '^f32\.\|^f64\.\|convert\|trunc\|reinterpret\|demote\|promote' <<<"$dis" && found+=("float-ops")
    grep -q 'f32\|f64' <<<"$hdr" && found+=("float-types")
    grep -q '^call_indirect' <<<"$dis" && found+=("call_indirect")
    grep -q '^br_table' <<<"$dis" && found+=("br_table")
    grep -q '^memory\.grow\|^memory\.size' <<<"$dis" && found+=("memory.grow/size")
    grep -q '^memory\.copy\|^memory\.fill\|^memory\.init\|^data\.drop' <<<"$dis" && found+=("bulk-memory")
    grep -q 'passive' <<<"$hdr" && found+=("passive-data")
    grep -qE -- '-> \([^)]*,' <<<"$hdr" && found+=("multi-value-func")
    grep -qE '^(block|loop|if).*type\[' <<<"$dis" && found+=("multi-value-block")
    info=""
    grep -q 'extend8_s\|extend16_s' <<<"$dis" && info=" (info: uses sign-ext i32.extend8_s/extend16_s)"
    if [ ${#found[@]} -eq 0 ]; then
        echo "$w: clean$info"
    else
        echo "$w: USES ${found[*]}$info"
        bad=1
    fi
done
exit $bad
