/**
 * Command-line overrides by dot path: `--train.lr=3e-4`, `--recipeConfig.embedDim=128`,
 * `--recipeConfig.imageChannels=[8,16,16]`. Values are JSON when they parse as JSON, else strings. They are
 * applied to the raw config before it is validated, so every override is type-checked like the file itself.
 */
import { CladeError } from '../util/errors.ts';
import { didYouMean } from './suggest.ts';

/** One `--a.b.c=value` override. */
export interface Override {
  readonly path: readonly string[];
  readonly value: unknown;
  /** As typed, for messages: `--train.lr=3e-4`. */
  readonly text: string;
}

/**
 * The value of an override: JSON when it parses (`3e-4` → number, `true`, `[8,16]`, `{"a":1}`, `"x"`), else the
 * string itself (`perSample`).
 *
 * @example
 * parseOverrideValue('3e-4'); // 0.0003
 * parseOverrideValue('perSample'); // 'perSample'
 */
export function parseOverrideValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Separate dot-path overrides (`--x.y=v` or `--x.y v`: the option name contains a dot) from the other arguments.
 *
 * @example
 * splitOverrides(['demo', '--out', 'r', '--train.lr=3e-4']);
 * // { rest: ['demo', '--out', 'r'], overrides: [{ path: ['train', 'lr'], value: 0.0003, text: '--train.lr=3e-4' }] }
 */
export function splitOverrides(argv: readonly string[]): { rest: string[]; overrides: Override[] } {
  const rest: string[] = [];
  const overrides: Override[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--([^=]+\.[^=]+?)(?:=(.*))?$/s.exec(a);
    if (!m) {
      rest.push(a);
      continue;
    }
    let text = m[2];
    if (text === undefined) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--'))
        throw new CladeError(`override --${m[1]} needs a value (--${m[1]}=VALUE)`);
      text = next;
      i++;
    }
    const path = m[1].split('.');
    if (path.some((p) => p === '')) throw new CladeError(`override --${m[1]}: empty segment in the dot path`);
    overrides.push({ path, value: parseOverrideValue(text), text: `--${m[1]}=${text}` });
  }
  return { rest, overrides };
}

/** The keys allowed at a path, or `undefined` when any key is allowed there. */
export type KeysAt = (path: readonly string[]) => readonly string[] | undefined;

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** The discriminator key of a discriminated union at a path (e.g. `arch`), or `undefined`. */
export type DiscriminatorAt = (path: readonly string[]) => string | undefined;

/**
 * Apply overrides to a copy of a raw config. With `keysAt`, a path naming a key the schema does not have throws
 * naming the override and the close matches; setting inside a number or string throws too. Intermediate objects
 * are created as needed (`--recipeConfig.embedDim=8` on a config without `recipeConfig`).
 * With `discriminatorAt`, an override that switches a discriminated union's variant
 * (`--recipeConfig.encoder.arch=vit` over a `cnn` encoder) replaces the whole object with `{ arch: 'vit' }`, so the
 * new variant starts from its own defaults instead of inheriting keys it does not have; such overrides apply first,
 * so `--recipeConfig.encoder.patch=4` in any position then sets a key of the new variant.
 *
 * @example
 * applyOverrides({ train: { lr: 1e-3 } }, splitOverrides(['--train.lr=3e-4']).overrides);
 * // { train: { lr: 0.0003 } }
 */
export function applyOverrides(
  raw: Readonly<Record<string, unknown>>,
  overrides: readonly Override[],
  keysAt?: KeysAt,
  discriminatorAt?: DiscriminatorAt,
): Record<string, unknown> {
  const out = structuredClone(raw) as Record<string, unknown>;
  const switches = (o: Override) =>
    o.path.length > 1 && discriminatorAt?.(o.path.slice(0, -1)) === o.path[o.path.length - 1];
  const ordered = [...overrides.filter(switches), ...overrides.filter((o) => !switches(o))];
  for (const o of ordered) {
    let cur: Record<string, unknown> | unknown[] = out;
    for (let i = 0; i < o.path.length; i++) {
      const seg = o.path[i];
      const here = o.path.slice(0, i);
      const known: readonly string[] | undefined = Array.isArray(cur) ? undefined : keysAt?.(here);
      if (known && !known.includes(seg)) {
        const base = here.length ? `${here.join('.')}.` : '';
        throw new CladeError(
          `${o.text}: unknown key '${base}${seg}'${didYouMean(seg, known, base) || ` (known keys at ${here.length ? `'${here.join('.')}'` : 'the top level'}: ${known.join(', ')})`}`,
        );
      }
      if (Array.isArray(cur) && !/^\d+$/.test(seg))
        throw new CladeError(`${o.text}: '${here.join('.')}' is a list; expected an index, got '${seg}'`);
      const slot = cur as Record<string, unknown>;
      if (i === o.path.length - 1) {
        slot[seg] = structuredClone(o.value);
        break;
      }
      // the parent of a variant switch: a new object holding only the discriminator (set by the next segment)
      const parent = slot[seg];
      if (i === o.path.length - 2 && switches(o) && isObject(parent) && parent[o.path[i + 1]] !== o.value)
        slot[seg] = {};
      if (slot[seg] === undefined) slot[seg] = {};
      const next: unknown = slot[seg];
      if (!isObject(next) && !Array.isArray(next))
        throw new CladeError(
          `${o.text}: cannot set a key inside '${[...here, seg].join('.')}', which is ${JSON.stringify(next)}`,
        );
      cur = next;
    }
  }
  return out;
}
