#!/usr/bin/env node
// check.mjs - assemble every hand-written .wat program with wabt (npm
// package "wabt", installed in ./node_modules: `npm install` here), run it
// under node's WebAssembly engine and compare output and trap with
// manifest.txt (plus a few extra boundary cases below).
//
// Usage:
//   node check.mjs               # all manifest entries + extra cases
//   node check.mjs NAME [INPUT]  # run one program, print output (and trap)
//   node check.mjs --emit DIR    # also write NAME.wasm files into DIR
//
// For every program it also:
//   - lints the module: only i32 values, only the allowed opcodes, one
//     memory of at most 4 pages, no tables, the only import
//     env.output_byte, exports compute (+ memory, + __heap_base when
//     compute takes the input pointer);
//   - counts executed instructions (every instruction except the
//     structural end/else counts once per execution) by running an
//     instrumented copy, and fails a run above 50,000.
//
// Host contract: env.output_byte(i32) appends one byte; if compute takes a
// parameter, the NUL-terminated input is written at __heap_base rounded up
// to a multiple of 16 and compute(ptr) is called, otherwise compute().
//
// manifest.txt: NAME \t INPUT \t EXPECTED_OUTPUT \t TRAP ("-" for none),
// with "\n", "\t" and "\\" as escapes in INPUT and EXPECTED_OUTPUT.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const here = dirname(fileURLToPath(import.meta.url));
const wabt = await wabtInit();
const MAX_INSTRUCTIONS = 50000;

const FEATURES = {
  multi_value: true, sign_extension: true, mutable_globals: true,
  bulk_memory: false, reference_types: false, simd: false, threads: false,
  tail_call: false, exceptions: false, sat_float_to_int: false,
  function_references: false, gc: false, memory64: false,
  extended_const: false, relaxed_simd: false,
};

const ALLOWED_OPS = new Set([
  // core
  'i32.const', 'local.get', 'local.set', 'local.tee', 'global.get', 'global.set',
  'drop', 'select', 'i32.load', 'i32.load8_s', 'i32.load8_u', 'i32.load16_s',
  'i32.load16_u', 'i32.store', 'i32.store8', 'i32.store16', 'i32.eqz', 'i32.eq',
  'i32.ne', 'i32.lt_s', 'i32.lt_u', 'i32.gt_s', 'i32.gt_u', 'i32.le_s', 'i32.le_u',
  'i32.ge_s', 'i32.ge_u', 'i32.add', 'i32.sub', 'block', 'loop', 'if', 'else', 'end',
  'br', 'br_if', 'br_table', 'return', 'call', 'unreachable',
  // lowered
  'i32.mul', 'i32.div_s', 'i32.div_u', 'i32.rem_s', 'i32.rem_u', 'i32.and',
  'i32.or', 'i32.xor', 'i32.shl', 'i32.shr_s', 'i32.shr_u', 'i32.rotl', 'i32.rotr',
  'i32.clz', 'i32.ctz', 'i32.popcnt', 'i32.extend8_s', 'i32.extend16_s',
]);

// Engine trap message -> manifest trap name.
const TRAPS = [
  [/divide by zero|division by zero/i, 'integer divide by zero'],
  [/unrepresentable|integer overflow/i, 'integer overflow'],
  [/unreachable/i, 'unreachable'],
  [/out of bounds/i, 'out of bounds memory access'],
];

function unescape(s) {
  return s.replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
}
function escape(s) {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}

function assemble(fileName, text) {
  const mod = wabt.parseWat(fileName, text, FEATURES);
  try {
    mod.resolveNames();
    mod.validate();
    return mod.toBinary({}).buffer;
  } finally {
    mod.destroy();
  }
}

// Flat (unfolded) text of a binary, without names.
function disassemble(bytes) {
  const mod = wabt.readWasm(bytes, { readDebugNames: false, ...FEATURES });
  try {
    return mod.toText({ foldExprs: false, inlineExport: false });
  } finally {
    mod.destroy();
  }
}

// Returns a list of problems with the module's shape and instruction set.
function lint(flat) {
  const problems = [];
  if (/\b(i64|f32|f64|v128|funcref|externref)\b/.test(flat)) problems.push('non-i32 type or op');
  if (/\(table\b|\(elem\b/.test(flat)) problems.push('table/elem');
  const mems = [...flat.matchAll(/^\s*\(memory \(;\d+;\) (\d+)(?: (\d+))?\)/gm)];
  if (mems.length !== 1) problems.push(`${mems.length} memories`);
  else if (Number(mems[0][1]) > 4) problems.push(`memory of ${mems[0][1]} pages`);
  const imports = [...flat.matchAll(/\(import "([^"]*)" "([^"]*)"/g)].map((m) => `${m[1]}.${m[2]}`);
  if (imports.join() !== 'env.output_byte') problems.push(`imports: ${imports.join()}`);
  let inFunc = false;
  for (const line of flat.split('\n')) {
    const t = line.trim();
    if (/^\(func\b/.test(t)) { inFunc = true; continue; }
    if (/^\((type|import|memory|global|export|data|table|elem|start)\b/.test(t)) { inFunc = false; continue; }
    if (!inFunc || t === '' || t.startsWith('(local') || t === ')') continue;
    const op = t.split(/[\s)]/)[0];
    if (!ALLOWED_OPS.has(op)) problems.push(`op ${op}`);
  }
  return [...new Set(problems)];
}

// Insert a counter increment before every instruction except end/else.
function instrument(flat) {
  const inc = 'global.get $__icount i32.const 1 i32.add global.set $__icount ';
  let inFunc = false;
  const out = [];
  for (const line of flat.split('\n')) {
    const t = line.trimStart();
    if (/^\(func\b/.test(t)) { inFunc = true; out.push(line); continue; }
    if (/^\((type|import|memory|global|export|data|table|elem|start)\b/.test(t)) inFunc = false;
    const m = /^([a-z][a-z0-9_.]*)/.exec(t);
    if (inFunc && m && m[1] !== 'end' && m[1] !== 'else') {
      out.push(line.slice(0, line.length - t.length) + inc + t);
    } else {
      out.push(line);
    }
  }
  let text = out.join('\n').trimEnd();
  if (!text.endsWith(')')) throw new Error('unexpected disassembly');
  return text.slice(0, -1) +
    '\n  (global $__icount (mut i32) (i32.const 0))\n  (export "__icount" (global $__icount)))\n';
}

const programs = new Map();
function program(name) {
  if (!programs.has(name)) {
    const bytes = assemble(`${name}.wat`, readFileSync(join(here, `${name}.wat`), 'utf8'));
    const flat = disassemble(bytes);
    const counted = assemble(`${name}.counted.wat`, instrument(flat));
    programs.set(name, {
      bytes,
      problems: lint(flat),
      module: new WebAssembly.Module(bytes),
      counted: new WebAssembly.Module(counted),
    });
  }
  return programs.get(name);
}

function trapName(e) {
  if (!(e instanceof WebAssembly.RuntimeError)) return `error: ${e.message}`;
  for (const [re, name] of TRAPS) if (re.test(e.message)) return name;
  return `unknown trap: ${e.message}`;
}

// Runs NAME on INPUT; returns { output, trap, count }.
function run(name, input, counting) {
  const prog = program(name);
  const out = [];
  const inst = new WebAssembly.Instance(counting ? prog.counted : prog.module, {
    env: { output_byte: (c) => { out.push(c & 0xff); } },
  });
  const { memory, compute, __heap_base } = inst.exports;
  let trap = '-';
  try {
    let result;
    if (compute.length === 0) {
      result = compute();
    } else {
      const base = (__heap_base.value + 15) & ~15;
      const bytes = new TextEncoder().encode(input);
      const mem = new Uint8Array(memory.buffer);
      mem.set(bytes, base);
      mem[base + bytes.length] = 0;
      result = compute(base);
    }
    if (result !== undefined) trap = 'error: compute returned a value';
  } catch (e) {
    trap = trapName(e);
  }
  const output = Buffer.from(out).toString('latin1');
  return { output, trap, count: counting ? inst.exports.__icount.value >>> 0 : undefined };
}

function checkShape(name) {
  const prog = program(name);
  const problems = [...prog.problems];
  const exps = WebAssembly.Module.exports(prog.module).map((e) => `${e.kind}:${e.name}`);
  const inst = new WebAssembly.Instance(prog.module, { env: { output_byte() {} } });
  const takesInput = inst.exports.compute?.length === 1;
  const want = takesInput
    ? ['function:compute', 'global:__heap_base', 'memory:memory']
    : ['function:compute', 'memory:memory'];
  if (exps.slice().sort().join() !== want.join()) problems.push(`exports: ${exps.join()}`);
  if (![0, 1].includes(inst.exports.compute?.length)) problems.push('compute arity');
  return problems;
}

// Extra cases (not in the manifest): the trap programs' non-trapping
// neighbours, to show the trap comes from the operand and not elsewhere.
const EXTRA = [
  ['traps_div_zero', '5', 'abD', '-'],      // 100 / 5 = 20 -> '0' + 20 = 'D'
  ['traps_oob', '2', 'ab0', '-'],           // load at 65532: last in-bounds i32
  ['traps_oob', '3', 'a', 'out of bounds memory access'],  // 65533
];

const args = process.argv.slice(2);
let emitDir = null;
const ei = args.indexOf('--emit');
if (ei >= 0) { emitDir = args[ei + 1]; args.splice(ei, 2); }

const manifest = readFileSync(join(here, 'manifest.txt'), 'utf8').split('\n').filter((l) => l.length > 0);

if (args.length > 0) {
  const name = args[0];
  let input = args[1];
  if (input === undefined) {
    const line = manifest.find((l) => l.split('\t')[0] === name);
    input = line ? unescape(line.split('\t')[1]) : '';
  }
  const r = run(name, input, true);
  process.stdout.write(r.output);
  console.error(`trap: ${r.trap}; executed instructions: ${r.count}`);
  process.exit(0);
}

let failures = 0, total = 0;
function check(name, input, expOut, expTrap, tag) {
  total++;
  const why = [];
  let plain, counted;
  try {
    plain = run(name, input, false);
    counted = run(name, input, true);
  } catch (e) {
    why.push(`cannot run: ${e.message}`);
  }
  if (plain) {
    if (plain.output !== expOut) why.push(`output\n    expected: ${escape(expOut)}\n    got:      ${escape(plain.output)}`);
    if (plain.trap !== expTrap) why.push(`trap: expected ${expTrap}, got ${plain.trap}`);
    if (counted.output !== plain.output || counted.trap !== plain.trap) why.push('instrumented run differs');
    if (counted.count > MAX_INSTRUCTIONS) why.push(`executed ${counted.count} instructions (> ${MAX_INSTRUCTIONS})`);
  }
  const ok = why.length === 0;
  if (!ok) failures++;
  const lines = plain ? plain.output.split('\n').length - 1 : 0;
  console.log(`${ok ? 'PASS' : 'FAIL'} ${tag} ${name.padEnd(18)} ${JSON.stringify(input.length > 24 ? input.slice(0, 21) + '...' : input).padEnd(27)}` +
    ` lines=${String(lines).padStart(3)} trap=${plain ? plain.trap : '?'} instrs=${counted ? counted.count : '?'}`);
  for (const w of why) console.log(`  ${w}`);
}

const seen = new Set();
for (const line of manifest) {
  const parts = line.split('\t');
  if (parts.length !== 4) {
    console.log(`FAIL bad manifest line: ${JSON.stringify(line)}`);
    failures++; total++;
    continue;
  }
  const [name, input, out, trap] = parts;
  if (!seen.has(name)) {
    seen.add(name);
    total++;
    let problems;
    try {
      problems = checkShape(name);
    } catch (e) {
      problems = [`cannot assemble/instantiate: ${e.message}`];
    }
    if (problems.length) { failures++; console.log(`FAIL lint     ${name}: ${problems.join('; ')}`); }
    else console.log(`PASS lint     ${name}`);
    if (emitDir && !problems.some((p) => p.startsWith('cannot'))) {
      mkdirSync(emitDir, { recursive: true });
      writeFileSync(join(emitDir, `${name}.wasm`), program(name).bytes);
    }
  }
  check(name, unescape(input), unescape(out), trap, 'manifest');
}
for (const [name, input, out, trap] of EXTRA) check(name, input, out, trap, 'extra   ');

console.log(`${total - failures} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
