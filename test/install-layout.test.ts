import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, test } from 'vitest';

const ROOT = resolve(__dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'clade-consumer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the `clade` launcher works when installed into another project (tsx hoisted beside clade, not inside it)', () => {
  // node_modules/clade/{bin,src,package.json} and node_modules/tsx, as `npm install clade` lays them out
  const pkg = join(dir, 'node_modules', 'clade');
  mkdirSync(join(pkg, 'bin'), { recursive: true });
  copyFileSync(join(ROOT, 'bin/clade.mjs'), join(pkg, 'bin/clade.mjs'));
  copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
  symlinkSync(join(ROOT, 'src'), join(pkg, 'src'));
  symlinkSync(join(ROOT, 'node_modules/tsx'), join(dir, 'node_modules', 'tsx'));
  const r = spawnSync(process.execPath, [join(pkg, 'bin/clade.mjs'), '--version'], {
    cwd: dir,
    encoding: 'utf8',
  });
  expect(r.stderr).toBe('');
  expect(r.stdout.trim()).toBe('0.1.0');
});
