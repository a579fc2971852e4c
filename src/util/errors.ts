/**
 * The error type for bad input: the message names the file, row, field or config key and what was expected.
 *
 * @example
 * throw new CladeError('expected 3073-byte records', { file: 'train.bin', record: 17 });
 * // message: "train.bin: record 17: expected 3073-byte records"
 */
export class CladeError extends Error {
  readonly where: Readonly<Record<string, string | number>>;
  constructor(message: string, where: Record<string, string | number | undefined> = {}) {
    const parts: string[] = [];
    const clean: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(where)) {
      if (v === undefined) continue;
      clean[k] = v;
      parts.push(k === 'file' ? String(v) : `${k} ${v}`);
    }
    super(parts.length ? `${parts.join(': ')}: ${message}` : message);
    this.name = 'CladeError';
    this.where = clean;
  }
}
