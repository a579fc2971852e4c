/**
 * The README's command blocks as a walk-through: the `npx clade ...` lines of the "More commands" block, run as
 * written (comments stripped) with this checkout's `bin/clade.mjs` in a fresh folder. Used by readme.test.ts (a
 * fast prefix) and readme.data.test.ts (every line, and the Quick start's `clade demo`).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..');

export interface ReadmeCommand {
  /** As written in the README, comment stripped. */
  readonly line: string;
  /** Arguments after `npx clade`. */
  readonly args: string[];
}

/** The `npx clade` lines of the first ```sh block after `heading` in README.md. */
export function readmeCommands(heading: string): ReadmeCommand[] {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const at = text.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README.md has no '${heading}' section`);
  const block = /```sh\n([\s\S]*?)```/.exec(text.slice(at));
  if (!block) throw new Error(`no sh block under '${heading}'`);
  return block[1]
    .split('\n')
    .map((l) =>
      l
        .replace(/\s+#.*$/, '')
        .replace(/^.*&&\s*/, '')
        .trim(),
    )
    .filter((l) => l.startsWith('npx clade'))
    .map((line) => ({ line, args: line.split(/\s+/).slice(2) }));
}

/** Run one README command in `cwd`; returns exit status and output. */
export function runReadmeCommand(cwd: string, c: ReadmeCommand) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/clade.mjs'), ...c.args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, CLADE_DEBUG: '' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
