/**
 * Drives clade the way a user does: `node bin/clade.mjs <command> ...` as a child process. Studies use only the
 * CLI and the files it writes (result JSON, metrics.jsonl, .npy + sidecar), so they follow the CLI, not the
 * internals it calls.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = resolve(REPO, 'bin/clade.mjs');

/** One CLI invocation as recorded in a study's JSON. */
export interface CliCall {
  readonly args: readonly string[];
  readonly seconds: number;
  readonly load1: number;
}

export class Clade {
  readonly calls: CliCall[] = [];
  constructor(
    /** Every call's stdout and stderr are appended here. */
    readonly logFile: string,
    readonly log: (line: string) => void = () => {},
  ) {
    mkdirSync(dirname(logFile), { recursive: true });
  }

  /** Runs `clade ...args` from the repository root; resolves to stdout, rejects with the output tail on failure. */
  run(args: readonly string[]): Promise<string> {
    const t0 = performance.now();
    const shown = args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ');
    this.log(`$ clade ${shown}`);
    appendFileSync(this.logFile, `\n$ clade ${shown}\n`);
    return new Promise((ok, fail) => {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let tail = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        appendFileSync(this.logFile, b);
      });
      child.stderr.on('data', (b: Buffer) => {
        // progress bars redraw with \r: keep the log readable
        const s = b.toString().replace(/[^\n]*\r(?!\n)/g, '');
        tail = (tail + s).slice(-4000);
        appendFileSync(this.logFile, s);
      });
      child.on('error', fail);
      child.on('close', (code) => {
        const seconds = (performance.now() - t0) / 1000;
        this.calls.push({ args: [...args], seconds: round(seconds, 1), load1: round(loadNow(), 2) });
        if (code === 0) ok(out);
        else fail(new Error(`clade ${shown} exited with ${code}:\n${(out + tail).slice(-3000)}`));
      });
    });
  }
}

export const loadNow = (): number => loadavg()[0];
export const round = (x: number, digits = 4): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};
