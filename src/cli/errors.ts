/**
 * The CLI's last line of defence: any error a command did not handle becomes one line on stderr (the path the
 * user gave and what is wrong), never a stack trace; `--debug` (or CLADE_DEBUG=1) prints the trace as well.
 */
import { basename, dirname, join } from 'node:path';
import { describeErrno } from '../io/output-path.ts';
import { CladeError } from '../util/errors.ts';

/** `.name.ext.<pid>.<time>.tmp` (writeFileAtomic's temporary file) → `name.ext`, the path the user asked for. */
export function userPath(p: string): string {
  const m = /^\.(.+)\.\d+\.\d+\.tmp$/.exec(basename(p));
  return m ? join(dirname(p), m[1]) : p;
}

/**
 * One line for an error: CladeError's message; a filesystem error as `<path>: <reason>`; anything else its
 * message (the trace only with `debug`).
 *
 * @example
 * formatError(Object.assign(new Error('x'), { code: 'EACCES', path: '/out/.a.npy.1.2.tmp' })); // "/out/a.npy: permission denied"
 */
export function formatError(e: unknown, debug = false): string {
  const trace = debug && e instanceof Error && e.stack ? `\n${e.stack}` : '';
  if (e instanceof CladeError) return `${e.message}${trace}`;
  const err = e as NodeJS.ErrnoException & { dest?: string };
  if (err && typeof err === 'object' && typeof err.code === 'string' && /^E[A-Z]+$/.test(err.code)) {
    const path = err.dest ?? err.path;
    const what = describeErrno(err.code);
    return `${path ? `${userPath(path)}: ` : ''}${what}${err.syscall ? ` (${err.syscall})` : ''}${trace}`;
  }
  const msg = e instanceof Error ? e.message : String(e);
  return `${msg}${trace || (e instanceof Error ? '\n(run with --debug for the stack trace)' : '')}`;
}

/** Remove `--debug` from argv; true when it (or CLADE_DEBUG=1) was given. */
export function takeDebugFlag(argv: string[]): boolean {
  const i = argv.indexOf('--debug');
  if (i >= 0) argv.splice(i, 1);
  return i >= 0 || process.env.CLADE_DEBUG === '1';
}
