/**
 * Turning zod issues into messages that name the full dot path of the offending key and suggest close matches,
 * and walking a schema to find the keys an object accepts at a given path.
 */
import { z } from 'zod';
import { CladeError } from '../util/errors.ts';
import { didYouMean } from './suggest.ts';

type Segment = string | number;

/** Strip wrappers (default, optional, nullable, readonly, catch, pipe) down to the schema that does the work. */
function unwrap(s: z.ZodType): z.ZodType {
  for (let i = 0; i < 32; i++) {
    if (
      s instanceof z.ZodDefault ||
      s instanceof z.ZodOptional ||
      s instanceof z.ZodNullable ||
      s instanceof z.ZodPrefault ||
      s instanceof z.ZodReadonly ||
      s instanceof z.ZodNonOptional
    )
      s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodCatch) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodPipe) s = s.in as z.ZodType;
    else return s;
  }
  return s;
}

/**
 * The sub-schema at a dot path (`['train', 'lr']`), looking through defaults, optionals, arrays, tuples,
 * records and unions; `undefined` when the path leaves the schema.
 *
 * @example
 * schemaAt(PresetSchema, ['train', 'lr']); // the z.number() of train.lr
 */
export function schemaAt(schema: z.ZodType, path: readonly Segment[]): z.ZodType | undefined {
  let s: z.ZodType | undefined = schema;
  for (const seg of path) {
    if (!s) return undefined;
    const u = unwrap(s);
    if (u instanceof z.ZodObject) s = (u.shape as Record<string, z.ZodType>)[String(seg)];
    else if (u instanceof z.ZodArray) s = u.element as z.ZodType;
    else if (u instanceof z.ZodTuple) s = (u.def.items as z.ZodType[])[Number(seg)];
    else if (u instanceof z.ZodRecord) s = u.valueType as z.ZodType;
    else if (u instanceof z.ZodUnion || u instanceof z.ZodDiscriminatedUnion)
      s = (u.options as z.ZodType[]).map((o) => schemaAt(o, [seg])).find((x) => x !== undefined);
    else return undefined;
  }
  return s;
}

/**
 * The keys an object accepts at `path`, or `undefined` when the schema there is not a fixed-key object
 * (records, `unknown`, …: anything goes).
 *
 * @example
 * keysAt(PresetSchema, ['train']); // ['steps', 'lr', 'warmup', …]
 */
export function keysAt(schema: z.ZodType, path: readonly Segment[]): string[] | undefined {
  const s = schemaAt(schema, path);
  if (!s) return undefined;
  const u = unwrap(s);
  if (u instanceof z.ZodObject) return Object.keys(u.shape);
  if (u instanceof z.ZodUnion || u instanceof z.ZodDiscriminatedUnion) {
    const all = (u.options as z.ZodType[]).map((o) => keysAt(o, []));
    if (all.some((k) => k === undefined)) return undefined;
    return [...new Set(all.flat() as string[])];
  }
  return undefined;
}

/**
 * The discriminator key when the schema at `path` is a discriminated union (`'arch'` for the CIFAR encoder),
 * else `undefined`.
 *
 * @example
 * discriminatorAt(SimclrCifarSchema, ['encoder']); // 'arch'
 */
export function discriminatorAt(schema: z.ZodType, path: readonly Segment[]): string | undefined {
  const s = schemaAt(schema, path);
  const u = s && unwrap(s);
  return u instanceof z.ZodDiscriminatedUnion ? String(u.def.discriminator) : undefined;
}

/** `a.b.0.c` from a path. */
export function dotPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/**
 * One line per zod issue, each naming the full dot path (with `prefix`, e.g. `recipeConfig`) and, for unknown
 * keys, the close matches among the keys the schema accepts there (or all of them when none is close).
 *
 * @example
 * zodProblems(err, PresetSchema); // ["unknown key 'train.lrr' — did you mean 'train.lr'?"]
 */
export function zodProblems(error: z.ZodError, schema: z.ZodType, prefix: readonly Segment[] = []): string[] {
  const out: string[] = [];
  for (const issue of error.issues) {
    const rel = issue.path.filter((p): p is Segment => typeof p !== 'symbol');
    const full = [...prefix, ...rel];
    const where = dotPath(full);
    if (issue.code === 'unrecognized_keys') {
      const known = keysAt(schema, rel) ?? [];
      const base = where ? `${where}.` : '';
      const disc = discriminatorAt(schema, rel);
      for (const k of issue.keys) {
        if (disc && known.includes(k)) {
          out.push(
            `key '${base}${k}' is not an option of this '${disc}' of '${where}' (it belongs to another ${disc}: remove it)`,
          );
          continue;
        }
        const hint = didYouMean(k, known, base);
        out.push(
          `unknown key '${base}${k}'${hint || (known.length ? ` (known keys: ${known.join(', ')})` : '')}`,
        );
      }
    } else if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) {
      out.push(`missing required key '${where}' (expected ${issue.expected})`);
    } else {
      const msg = issue.message.replace(/^Invalid input: /, '');
      out.push(where ? `'${where}': ${msg}` : msg);
    }
  }
  return out;
}

/**
 * Parse `value` with `schema`, throwing one `CladeError` that lists every problem (see `zodProblems`).
 *
 * @example
 * const train = parseOrThrow(TrainOptionsSchema, raw.train, { file: 'my.json', prefix: ['train'] });
 */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  o: { file?: string; prefix?: readonly Segment[] } = {},
): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw problemsError(zodProblems(r.error, schema, o.prefix), o.file);
}

/**
 * One `CladeError` for a list of config problems: the problem itself when there is one, else a bulleted list.
 *
 * @example
 * throw problemsError(["unknown key 'train.lrr' — did you mean 'train.lr'?"], 'my.json');
 */
export function problemsError(problems: readonly string[], file?: string): CladeError {
  return new CladeError(
    problems.length === 1 ? problems[0] : `invalid config:\n  - ${problems.join('\n  - ')}`,
    { file },
  );
}
