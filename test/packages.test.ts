import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { expect, test } from 'vitest';

// Package rules of the library surface (docs/architecture.md, docs/analysis.md "Library use"):
// - the native onnxruntime-node binary is loaded only by the engine's Node entry;
// - the pure entries (engine, nn, optim, objectives) reach no Node built-in and no native package through their
//   static imports, so they bundle for a browser;
// - the analysis entry loads ONNX Runtime only when an `ort` backend first runs (a literal dynamic import), so
//   importing it (or using the `js` backend) never loads the native binary.
const ROOT = resolve(__dirname, '..');
const SRC = join(ROOT, 'src');
const NODE_ENTRY_FILES = ['src/engine/node.ts', 'src/engine/runtime/ort.ts'];
const PURE_ENTRIES = [
  'src/engine/index.ts',
  'src/nn/index.ts',
  'src/optim/index.ts',
  'src/objectives/index.ts',
];

/** Files reached from `entry` through static imports (type-only imports excluded), and the packages they name. */
function staticClosure(entry: string): { files: Set<string>; packages: string[] } {
  const files = new Set<string>();
  const packages: string[] = [];
  const stack = [join(ROOT, entry)];
  while (stack.length) {
    const file = stack.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of staticImports(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) stack.push(resolve(dirname(file), spec));
      else packages.push(`${relative(ROOT, file)} imports ${spec}`);
    }
  }
  return { files, packages };
}

function* sources(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* sources(p);
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) yield p;
  }
}

/** Module specifiers a file loads when it is evaluated: static imports and re-exports, not `import type`. */
function staticImports(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?([^;'"]*?\s+from\s+)?['"]([^'"]+)['"]/gm))
    if (!m[2] && (m[1] === 'import' || m[3])) out.push(m[4]);
  return out;
}

/** Every module specifier, static or dynamic (`import('x')`), type-only imports included. */
function allSpecifiers(text: string): string[] {
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)].map((m) => m[1]);
}

test('onnxruntime-node is imported only by the Node entry of the engine', () => {
  const offenders: string[] = [];
  for (const file of sources(SRC)) {
    const rel = relative(ROOT, file);
    const text = readFileSync(file, 'utf8');
    if (allSpecifiers(text).some((s) => s === 'onnxruntime-node' || s.startsWith('onnxruntime-node/')))
      if (!NODE_ENTRY_FILES.includes(rel)) offenders.push(rel);
  }
  expect(offenders).toEqual([]);
  for (const f of NODE_ENTRY_FILES) expect(statSync(join(ROOT, f)).isFile()).toBe(true);
});

test('the pure entries load no Node built-in and no onnxruntime through their static imports', () => {
  const problems: string[] = [];
  for (const entry of PURE_ENTRIES) {
    const { files, packages } = staticClosure(entry);
    expect(files.size).toBeGreaterThan(1);
    problems.push(...packages.filter((p) => / (node:|onnxruntime)/.test(p)).map((p) => `${entry}: ${p}`));
  }
  expect(problems).toEqual([]);
});

test('the analysis entry reaches the Node entry of the engine only through dynamic imports', () => {
  const { files, packages } = staticClosure('src/analysis/index.ts');
  expect(files.size).toBeGreaterThan(20);
  expect([...files].map((f) => relative(ROOT, f)).filter((f) => NODE_ENTRY_FILES.includes(f))).toEqual([]);
  expect(packages.filter((p) => / onnxruntime/.test(p))).toEqual([]);
});

test('the import scanners see what they are meant to see', () => {
  const text = [
    "import { a, type B } from './a.ts';",
    "import type { C } from './c.ts';",
    "export type { D } from './d.ts';",
    "export * from './e.ts';",
    "import './f.ts';",
    'import {',
    '  g,',
    "} from 'node:fs';",
    "const h = await import('onnxruntime-node');",
  ].join('\n');
  expect(staticImports(text)).toEqual(['./a.ts', './e.ts', './f.ts', 'node:fs']);
  expect(allSpecifiers(text)).toContain('onnxruntime-node');
});
