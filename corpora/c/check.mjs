#!/usr/bin/env node
// check.mjs - run every corpus program under node's WebAssembly engine and
// compare its output with manifest.txt (plus a few extra cases below).
//
// Usage:
//   node check.mjs                 # all manifest entries + extra cases
//   node check.mjs --count         # same, plus executed-instruction counts
//                                  # for the manifest runs (needs wabt:
//                                  # wasm2wat + wat2wasm on PATH)
//   node check.mjs NAME [INPUT]    # run one program, print its output
//                                  # (input defaults to the manifest's)
//   node check.mjs --count NAME [INPUT]   # same, count on stderr
//
// Instruction counting (--count): the module is disassembled with wasm2wat,
// a counter increment is inserted in front of every instruction except the
// structural `end` / `else` (so block, loop, if, br*, call, return ... all
// count once per execution), reassembled with wat2wasm and run.  The count
// is of the original program's instructions only; output is checked too.
//
// Host contract (the same one the hullvm harness uses):
//   - import env.output_byte(i32): appends one byte to the output;
//   - the NUL-terminated input string is written at __heap_base rounded up
//     to a multiple of 16; compute(ptr) is then called with that address.
//
// manifest.txt format: NAME \t INPUT \t EXPECTED, one program per line;
// in INPUT and EXPECTED "\n", "\t" and "\\" stand for newline, tab and a
// backslash.
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

// Every manifest line, with the names of pending/ programs prefixed by
// "pending/" (their .wasm sits there).
function manifestLines() {
  const lines = [];
  for (const dir of ['', 'pending/']) {
    let text;
    try {
      text = readFileSync(join(here, dir, 'manifest.txt'), 'utf8');
    } catch (e) {
      if (dir !== '' && e.code === 'ENOENT') continue;
      throw e;
    }
    for (const l of text.split('\n')) {
      if (l.length > 0 && !l.startsWith('#')) lines.push(dir + l);
    }
  }
  return lines;
}

function unescape(s) {
  return s.replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
}
function escape(s) {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}

const modules = new Map();
function load(name) {
  if (!modules.has(name)) {
    const bytes = readFileSync(join(here, `${name}.wasm`));
    modules.set(name, new WebAssembly.Module(bytes));
  }
  return modules.get(name);
}

// Build a copy of NAME.wasm that counts executed instructions in an
// exported mutable i32 global "__icount".
const counted = new Map();
function loadCounted(name) {
  if (counted.has(name)) return counted.get(name);
  const wat = execFileSync('wasm2wat', [join(here, `${name}.wasm`)], { encoding: 'utf8' });
  const inc = 'global.get $__icount i32.const 1 i32.add global.set $__icount ';
  const lines = wat.split('\n');
  let inFunc = false;
  const outLines = [];
  for (const line of lines) {
    const t = line.trimStart();
    if (/^\(func /.test(t)) { inFunc = true; outLines.push(line); continue; }
    if (/^\((type|import|memory|global|export|data|table|elem) /.test(t)) inFunc = false;
    const m = /^([a-z][a-z0-9_.]*)/.exec(t);
    if (inFunc && m && m[1] !== 'end' && m[1] !== 'else') {
      outLines.push(line.slice(0, line.length - t.length) + inc + t);
    } else {
      outLines.push(line);
    }
  }
  let text = outLines.join('\n').trimEnd();
  if (!text.endsWith(')')) throw new Error('unexpected wasm2wat output');
  text = text.slice(0, -1) +
    '\n  (global $__icount (mut i32) (i32.const 0))\n  (export "__icount" (global $__icount)))\n';
  const dir = mkdtempSync(join(tmpdir(), 'hullvm-count-'));
  try {
    writeFileSync(join(dir, 'm.wat'), text);
    execFileSync('wat2wasm', [join(dir, 'm.wat'), '-o', join(dir, 'm.wasm')]);
    const mod = new WebAssembly.Module(readFileSync(join(dir, 'm.wasm')));
    counted.set(name, mod);
    return mod;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(name, input, counting = false) {
  const out = [];
  const inst = new WebAssembly.Instance(counting ? loadCounted(name) : load(name), {
    env: { output_byte: (c) => { out.push(c & 0xff); } },
  });
  const { memory, compute, __heap_base } = inst.exports;
  const base = (__heap_base.value + 15) & ~15;
  const bytes = new TextEncoder().encode(input);
  const mem = new Uint8Array(memory.buffer);
  mem.set(bytes, base);
  mem[base + bytes.length] = 0;
  compute(base);
  const text = Buffer.from(out).toString('latin1');
  if (counting) return { text, count: inst.exports.__icount.value >>> 0 };
  return text;
}

// Extra cases (not in the manifest) to exercise edge paths.
const EXTRA = [
  ['hello', '', 'Hello !\n'],
  ['addition', '999+1', '1000\n'],
  ['addition', '0+0', '0\n'],
  ['addition', '1+99999999999999999999', '100000000000000000000\n'],
  ['addition', '123456789012345678901234567890+987654321098765432109876543210',
    '1111111110111111111011111111100\n'],
  ['addition', '4999+5', '5004\n'],
  ['addition', '950+50', '1000\n'],
  ['collatz', '1', '1\n'],
  ['collatz', '6', '6 3 10 5 16 8 4 2 1\n'],
  ['fibonacci', '1', '1\n'],
  ['fibonacci', '20', '6765\n'],
  ['fibonacci', '47', '2971215073\n'],
  ['min_cost_matching', '3 4 1 3 2 0 5 3 2 2', 'cost 5: 0->1 1->0 2->2\n'],
  ['min_cost_matching', '1 -7', 'cost -7: 0->0\n'],
  ['min_cost_matching', '4 9 2 7 8 6 4 3 7 5 8 1 8 7 6 9 4', 'cost 13: 0->1 1->0 2->2 3->3\n'],
  ['sudoku', '53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79',
    '534678912672195348198342567859761423426853791713924856961537284287419635345286179\n'],
  ['sudoku', '11' + '0'.repeat(79), 'no solution\n'],
  ['sudoku', '123', 'bad input\n'],
  ['lowering', '-2147483648 -1 0',
    'mul -2147483648\ndiv_s trap\nrem_s trap\ndiv_s trap\nrem_s trap\ndiv_u trap\nrem_u trap\n' +
    'and -2147483648\nor -1\nxor 2147483647\nshl -2147483648\nshr_s -1\nshr_u 4294967295\n' +
    'rotl 2147483648\nrotr 4294967295\nrotl 4294967295\nclz 0\nctz 0\npopcnt 32\nlt_s 0\nlt_u 0\n' +
    'ext8 0\next16 0\next8 -1\n'],
  // pending/: expected outputs from the same C built natively (gcc and clang).
  ['hash64', '', 'fnv1a64 cbf29ce484222325\nsplitmix64 c3817c016ba4ff30\nxorshift64* 6bc974e889a9d8c8\n'],
  ['hash64', 'a', 'fnv1a64 af63dc4c8601ec8c\nsplitmix64 5f29c2aadd9b8527\nxorshift64* 5da1d5ffb3183ffb\n'],
  ['mul128', '1 1', '1 * 1 = 0x00000000000000000000000000000001 = 1\n'],
  ['mul128', '4294967295 4294967295 18446744073709551615 2 9223372036854775808 2',
    '4294967295 * 4294967295 = 0x0000000000000000fffffffe00000001 = 18446744065119617025\n' +
    '18446744073709551615 * 2 = 0x0000000000000001fffffffffffffffe = 36893488147419103230\n' +
    '9223372036854775808 * 2 = 0x00000000000000010000000000000000 = 18446744073709551616\n'],
  ['fnptr', '0 15 3 8 1', 'avg(0, 3) = 0x00000001\nadd(1, 1) = 2\n'],
  ['fnptr', '4294967295 4 32 4 33',
    'rotl(4294967295, 32) = 4294967295\nrotl(4294967295, 33) = 4294967295\n'],
  ['locals', '0 0', 'rounds 0 seed 0 sum e20e074293b63cba\n'],
  ['locals', '1 4294967295', 'rounds 1 seed 4294967295 sum b4ba1d1103fdfbfa\n'],
  ['sum64', '', 'n 0 sum 0000000000000000 alt 0000000000000000 prod 0000000000000001\n'],
  ['sum64', '-1 -1 -1', 'n 3 sum fffffffffffffffd alt ffffffffffffffff prod ffffffffffffffff\n'],
];

const wantCount = process.argv.includes('--count');
const args = process.argv.slice(2).filter((a) => a !== '--count');

if (args.length > 0) {
  const name = args[0];
  let input = args[1];
  if (input === undefined) {
    const line = manifestLines()
      .find((l) => l.split('\t')[0] === name);
    input = line ? unescape(line.split('\t')[1]) : '';
  }
  if (wantCount) {
    const r = run(name, input, true);
    process.stdout.write(r.text);
    console.error(`executed instructions: ${r.count}`);
  } else {
    process.stdout.write(run(name, input));
  }
  process.exit(0);
}

let failures = 0, total = 0;
function check(name, input, expected, tag) {
  total++;
  let got;
  try {
    got = run(name, input);
  } catch (e) {
    got = `<trap: ${e.message}>`;
  }
  const ok = got === expected;
  if (!ok) failures++;
  console.log(`${ok ? 'PASS' : 'FAIL'} ${tag} ${name} ${JSON.stringify(input.length > 40 ? input.slice(0, 37) + '...' : input)}`);
  if (!ok) {
    console.log(`  expected: ${escape(expected)}`);
    console.log(`  got:      ${escape(got)}`);
  }
}

const manifest = manifestLines();
for (const line of manifest) {
  const parts = line.split('\t');
  if (parts.length !== 3) {
    console.log(`FAIL bad manifest line: ${JSON.stringify(line)}`);
    failures++;
    continue;
  }
  check(parts[0], unescape(parts[1]), unescape(parts[2]), 'manifest');
}
for (const [name, input, expected] of EXTRA) check(name, input, expected, 'extra   ');

if (wantCount) {
  console.log('executed instructions (excluding end/else), manifest inputs:');
  for (const line of manifest) {
    const [name, inp, exp] = line.split('\t');
    let r;
    try {
      r = run(name, unescape(inp), true);
    } catch (e) {
      console.log(`FAIL count ${name}: ${e.message}`);
      failures++;
      continue;
    }
    if (r.text !== unescape(exp)) {
      console.log(`FAIL count ${name}: instrumented output differs`);
      failures++;
    }
    console.log(`  ${name.padEnd(20)} ${String(r.count).padStart(10)}`);
  }
}

console.log(`${total - failures}/${total} passed`);
process.exit(failures === 0 ? 0 : 1);
