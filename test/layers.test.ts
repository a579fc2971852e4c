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
  report: ['util', 'io', 'analysis'],
  train: ['util', 'io', 'engine', 'nn', 'optim', 'data', 'analysis', 'objectives', 'config'],
  pretrained: ['util', 'io', 'engine', 'nn', 'data', 'analysis', 'config', 'train'],
  explore: ['util', 'io', 'data', 'analysis', 'report', 'train'],
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
    'report',
    'train',
    'pretrained',
    'explore',
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

test('src layers import only downward', () => {
  const violations: string[] = [];
  for (const file of files(SRC)) {
    const layer = relative(SRC, file).split('/')[0];
    if (layer.endsWith('.ts')) continue; // src/index.ts re-exports every layer
    const allowed = ALLOWED[layer];
    if (!allowed) {
      violations.push(`${relative(SRC, file)}: folder src/${layer} is not in the layer table`);
      continue;
    }
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]/g)) {
      const target = relative(SRC, resolve(dirname(file), m[1])).split('/')[0];
      if (target === layer) continue;
      if (!allowed.includes(target))
        violations.push(`${relative(SRC, file)} imports ${m[1]} (layer ${target})`);
    }
  }
  expect(violations).toEqual([]);
});
