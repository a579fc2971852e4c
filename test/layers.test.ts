import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { test, expect } from 'vitest';

// Which top-level folders under src/ each layer may import. Lower layers never import higher ones:
// engine knows nothing of ML; nn/optim use engine; data/io sit beside them; objectives, analysis, train,
// report and cli stack on top. A new folder must be added here before it can import anything.
const ALLOWED: Record<string, readonly string[]> = {
  util: [],
  io: ['util'],
  engine: ['util'],
  nn: ['engine', 'util'],
  optim: ['engine', 'util'],
  data: ['util', 'io'],
  analysis: ['util', 'io', 'engine', 'optim'],
  objectives: ['engine', 'nn', 'util'],
  config: ['util'],
  checkpoints: ['util', 'io', 'engine', 'nn', 'config'],
  report: ['util', 'io', 'analysis'],
  train: ['util', 'io', 'engine', 'nn', 'optim', 'data', 'analysis', 'objectives', 'config', 'checkpoints'],
  pretrained: ['util', 'io', 'engine', 'nn', 'data', 'analysis', 'config', 'checkpoints', 'train'],
  embed: ['util', 'io', 'data', 'checkpoints', 'train', 'pretrained'],
  explore: ['util', 'io', 'data', 'analysis', 'report', 'train'],
  workflows: ['util', 'io', 'data', 'analysis', 'report', 'train', 'embed', 'explore'],
  browser: ['util', 'data', 'analysis', 'explore'],
  cli: [
    'util',
    'io',
    'engine',
    'nn',
    'optim',
    'data',
    'analysis',
    'objectives',
    'config',
    'checkpoints',
    'report',
    'train',
    'pretrained',
    'embed',
    'explore',
    'workflows',
  ],
};

const SRC = resolve(__dirname, '../src');

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) yield p;
  }
}

/** Every import of a file: its specifier, whether it is type-only, and whether it is dynamic (`import(...)`). */
function imports(text: string): { spec: string; typeOnly: boolean }[] {
  const out: { spec: string; typeOnly: boolean }[] = [];
  for (const m of text.matchAll(/^\s*(import|export)(\s+type)?\b[^'"]*?from\s+['"]([^'"]+)['"]/gm))
    out.push({ spec: m[3], typeOnly: Boolean(m[2]) });
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) out.push({ spec: m[1], typeOnly: false });
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g))
    out.push({ spec: m[1], typeOnly: false });
  return out;
}

/** The package an import specifier names (`@scope/name` or `name`), or null for relative and `node:` imports. */
function packageOf(spec: string): string | null {
  if (spec.startsWith('.') || spec.startsWith('node:')) return null;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

// Which layers may import each package (type-only imports of zod are allowed anywhere: they vanish at run time).
const PACKAGES: Record<string, readonly string[]> = {
  zod: ['config', 'report', 'train', 'checkpoints'],
  'onnxruntime-node': ['engine'], // only its Node entry: test/packages.test.ts
  'onnxruntime-web': ['browser'],
  'onnx-proto': ['engine'],
  'apache-arrow': ['io', 'embed', 'explore'],
  '@lancedb/lancedb': ['io'],
  hyparquet: ['io', 'data'],
  'hyparquet-writer': ['io', 'embed'],
  sharp: ['data', 'explore', 'cli'],
  'tar-stream': ['data'],
  entities: ['data'],
  'umap-js': ['analysis'],
  '@saehrimnir/druidjs': ['explore'],
  vega: ['report'],
  'vega-lite': ['report'],
};
// Within those layers, the files that may import it.
const PACKAGE_FILES: Record<string, RegExp> = {
  // validation schemas and config only (src/config, a recipe's schemas.ts, the result and open_clip config schemas)
  zod: /^(config\/|train\/recipes\/schemas\.ts$|report\/result-schema\.ts$|checkpoints\/open-clip-config\.ts$)/,
  '@lancedb/lancedb': /^io\/lance\.ts$/,
};

test('src layers import only downward', () => {
  const violations: string[] = [];
  for (const file of files(SRC)) {
    const rel = relative(SRC, file);
    const layer = rel.split('/')[0];
    if (layer.endsWith('.ts')) continue; // src/index.ts re-exports every layer
    const allowed = ALLOWED[layer];
    if (!allowed) {
      violations.push(`${rel}: folder src/${layer} is not in the layer table`);
      continue;
    }
    const text = readFileSync(file, 'utf8');
    for (const { spec, typeOnly } of imports(text)) {
      const pkg = packageOf(spec);
      if (pkg !== null) {
        if (typeOnly && pkg === 'zod') continue;
        if (!PACKAGES[pkg]?.includes(layer)) violations.push(`${rel} imports package ${pkg}`);
        else if (PACKAGE_FILES[pkg] && !PACKAGE_FILES[pkg].test(rel))
          violations.push(`${rel} imports package ${pkg} (only ${PACKAGE_FILES[pkg]})`);
        continue;
      }
      if (!spec.startsWith('.')) continue;
      const target = relative(SRC, resolve(dirname(file), spec));
      const targetLayer = target.split('/')[0];
      // The train core (trainer, step, model directory, Recipe) never imports the recipes; the run level does.
      if (
        layer === 'train' &&
        target.startsWith('train/recipes/') &&
        !rel.startsWith('train/recipes/') &&
        !/^train\/(resolve-config|run|run-dir)\.ts$/.test(rel)
      )
        violations.push(`${rel} imports ${spec} (the train core does not know the recipes)`);
      if (targetLayer === layer) continue;
      if (!allowed.includes(targetLayer)) violations.push(`${rel} imports ${spec} (layer ${targetLayer})`);
    }
  }
  expect(violations).toEqual([]);
});

test('dynamic imports name their module literally (no computed module paths)', () => {
  const violations: string[] = [];
  for (const file of files(SRC)) {
    const text = readFileSync(file, 'utf8').replace(/^\s*(\/\/|\*).*$/gm, ''); // code, not comments
    for (const m of text.matchAll(/\bimport\(\s*([^)]*)\)/g))
      if (!/^['"][^'"]+['"]$/.test(m[1].trim())) violations.push(`${relative(SRC, file)}: import(${m[1]})`);
  }
  expect(violations).toEqual([]);
});

test('the layer check sees imports of every form', () => {
  const src = [
    "import { a } from '../x.ts';",
    "import type { z } from 'zod';",
    "export { b } from './y.ts';",
    "import 'side-effect';",
    "const m = await import('./lazy.ts');",
    'import {\n  c,\n  d,\n} from "@scope/pkg/sub";',
  ].join('\n');
  expect(imports(src)).toEqual([
    { spec: '../x.ts', typeOnly: false },
    { spec: 'zod', typeOnly: true },
    { spec: './y.ts', typeOnly: false },
    { spec: '@scope/pkg/sub', typeOnly: false },
    { spec: 'side-effect', typeOnly: false },
    { spec: './lazy.ts', typeOnly: false },
  ]);
  expect(packageOf('@scope/pkg/sub')).toBe('@scope/pkg');
  expect(packageOf('onnxruntime-web/wasm')).toBe('onnxruntime-web');
  expect(packageOf('node:fs')).toBe(null);
});
