#!/usr/bin/env node
// The `clade` command: runs src/cli/main.ts under tsx with the engine's malloc tunables (see bin/run-ts.mjs).
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const TUNABLES =
  'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967295:glibc.malloc.arena_max=2';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Resolved like any dependency, so it works in the clone and where the package is installed (tsx hoisted).
const tsx = import.meta.resolve('tsx/esm');
const env = { ...process.env, GLIBC_TUNABLES: process.env.GLIBC_TUNABLES ?? TUNABLES };
const r = spawnSync(
  process.execPath,
  ['--import', tsx, resolve(root, 'src/cli/main.ts'), ...process.argv.slice(2)],
  {
    stdio: 'inherit',
    env,
  },
);
if (r.error) {
  console.error(`clade: cannot start node: ${r.error.message}`);
  process.exit(1);
}
if (r.signal) {
  // the child was killed (OOM killer, kill -9, Ctrl-C): say so instead of exiting silently
  console.error(
    `clade: stopped by ${r.signal}${r.signal === 'SIGKILL' ? ' (killed, e.g. out of memory)' : ''}`,
  );
  process.exit(128 + (os.constants.signals[r.signal] ?? 1));
}
process.exit(r.status ?? 0);
