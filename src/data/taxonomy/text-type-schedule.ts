import { Rng } from '../../util/rng.ts';
import { CladeError } from '../../util/errors.ts';
import { TEXT_TYPES, isTextType, type TextType } from './text-types.ts';

export type TextMixing = 'perBatch' | 'perSample';

/** Which text type each sample of each optimiser step uses. Pure functions of (seed, step, sample). */
export interface TextTypeSchedule {
  readonly mixing: TextMixing;
  readonly types: readonly TextType[];
  /** Type of sample `i` at `step` (for `perBatch`, the same for every `i`). */
  typeAt(step: number, i?: number): TextType;
  /** Types for a whole batch of `b` samples at `step`. */
  batch(step: number, b: number): TextType[];
}

/**
 * BioCLIP 2's text-type mixing (docs/methods.md §A.3): `perBatch` draws one type uniformly per optimiser step from an
 * RNG reseeded with the step index, used for the whole batch (the BioCLIP 2 preset); `perSample` draws
 * independently for every sample (BioCLIP v1). Deterministic in (seed, step, sample), so resumed runs replay it.
 *
 * @example
 * const s = textTypeSchedule(42, 'perBatch');
 * s.batch(7, 4); // e.g. ['sci_com', 'sci_com', 'sci_com', 'sci_com']
 */
export function textTypeSchedule(
  seed: number,
  mixing: TextMixing = 'perBatch',
  types: readonly string[] = TEXT_TYPES,
): TextTypeSchedule {
  if (mixing !== 'perBatch' && mixing !== 'perSample')
    throw new CladeError(`unknown text mixing '${mixing as string}'; expected perBatch or perSample`);
  if (types.length === 0) throw new CladeError('textTypeSchedule needs at least one text type');
  for (const t of types)
    if (!isTextType(t))
      throw new CladeError(`unknown text type '${t}'; expected one of ${TEXT_TYPES.join(', ')}`);
  const ts = types as readonly TextType[];
  const base = new Rng(seed);
  const draw = (tag: string) => ts[base.fork(tag).int(ts.length)];
  const typeAt = (step: number, i = 0): TextType =>
    mixing === 'perBatch' ? draw(`step:${step}`) : draw(`step:${step}/sample:${i}`);
  return {
    mixing,
    types: ts,
    typeAt,
    batch: (step, b) => Array.from({ length: b }, (_, i) => typeAt(step, i)),
  };
}
