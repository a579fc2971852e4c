import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { checkOutputDir, checkOutputFile } from './output-path.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-outpath-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('an output file that is a directory, or under a file, is refused naming the path', () => {
  mkdirSync(join(dir, 'adir'));
  writeFileSync(join(dir, 'afile'), 'x');
  expect(() => checkOutputFile(join(dir, 'adir'))).toThrow(
    `${join(dir, 'adir')}: the output file is a directory`,
  );
  expect(() => checkOutputFile(join(dir, 'afile', 'sub', 'x.npy'))).toThrow(
    `${join(dir, 'afile', 'sub', 'x.npy')}: cannot create the output file: ${join(dir, 'afile')} is a file`,
  );
  expect(() => checkOutputDir(join(dir, 'afile'))).toThrow('exists and is a file, not a directory');
});

test('missing parents are fine (they will be created) and no probe file is left behind', () => {
  checkOutputFile(join(dir, 'new', 'deeper', 'x.parquet'));
  checkOutputDir(join(dir, 'run', 'a'));
  checkOutputFile(join(dir, 'afile2'));
  expect(readdirSync(dir).filter((f) => f.startsWith('.clade'))).toEqual([]);
});

// /sys refuses new files even for root (mode bits alone do not stop root), so this is a real unwritable folder.
const sysUnwritable = (() => {
  try {
    writeFileSync('/sys/clade-probe', '');
    return false;
  } catch {
    return true;
  }
})();
test.runIf(sysUnwritable)('an unwritable folder is refused before any work, naming the folder', () => {
  expect(() => checkOutputFile('/sys/out.json')).toThrow(
    '/sys/out.json: cannot write the output file: /sys: permission denied',
  );
  expect(() => checkOutputDir('/sys/run/x', 'the run directory')).toThrow(
    '/sys/run/x: cannot write the run directory: /sys:',
  );
});
