import { CladeError } from '../util/errors.ts';

export type ArgKind = 'string' | 'number' | 'boolean';

/**
 * Minimal `--key value` / `--key=value` / `--flag` parser with typed, known keys; unknown flags are errors that
 * list the known ones. Positional arguments are returned under `_`.
 */
export function parseArgs(
  argv: readonly string[],
  spec: Record<string, ArgKind>,
): Record<string, unknown> & { _: string[] } {
  const out: Record<string, unknown> & { _: string[] } = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      out._.push(a);
      continue;
    }
    const [rawKey, inline] = a.slice(2).split(/=(.*)/s, 2);
    const kind = spec[rawKey];
    if (!kind)
      throw new CladeError(
        `unknown option --${rawKey}; known: ${Object.keys(spec)
          .map((k) => `--${k}`)
          .join(', ')}`,
      );
    if (kind === 'boolean') {
      out[rawKey] = inline === undefined ? true : inline !== 'false';
      continue;
    }
    const v = inline ?? argv[++i];
    if (v === undefined) throw new CladeError(`option --${rawKey} needs a value`);
    if (kind === 'number') {
      const n = Number(v);
      if (!Number.isFinite(n)) throw new CladeError(`option --${rawKey} expects a number, got '${v}'`);
      out[rawKey] = n;
    } else out[rawKey] = v;
  }
  return out;
}
