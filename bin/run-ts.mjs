#!/usr/bin/env node
// Runs a TypeScript entry point with tsx, after setting the glibc malloc tunables that keep ONNX Runtime's
// per-step output buffers from being returned to the OS and page-faulted back in (see docs/engine.md).
// The tunables are read by glibc at process start, so the process re-executes itself once with them set.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const TUNABLES =
  'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967295:glibc.malloc.arena_max=2';
const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: run-ts.mjs <entry.ts> [args...]');
  process.exit(2);
}
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env, GLIBC_TUNABLES: process.env.GLIBC_TUNABLES ?? TUNABLES };
// Resolved like any dependency, so it works in the clone and where the package is installed (tsx hoisted).
const tsx = import.meta.resolve('tsx/esm');
const r = spawnSync(process.execPath, ['--import', tsx, resolve(process.cwd(), entry), ...args], {
  stdio: 'inherit',
  env,
});
process.exit(r.status ?? (r.signal ? 1 : 0));
