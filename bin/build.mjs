#!/usr/bin/env node
// `npm run build` (run by `prepack`): compiles src/ to dist/ (JavaScript + declarations, relative imports rewritten
// from .ts to .js) for the package's library entries, and copies the non-TypeScript files the code reads at run
// time. The clone itself never needs dist/: `npx clade`, the tests and the benchmarks run src/ under tsx.
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = fileURLToPath(import.meta.resolve('typescript/bin/tsc'));
rmSync(resolve(root, 'dist'), { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', resolve(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
if (r.status !== 0) process.exit(r.status ?? 1);
cpSync(resolve(root, 'src/config/presets'), resolve(root, 'dist/config/presets'), { recursive: true });
