import { existsSync } from 'node:fs';
import type { HostTensor } from '../nn/context.ts';
import { readSafetensorsWithMetadata, writeSafetensors, type SafeTensor } from '../io/safetensors.ts';
import { CladeError } from '../util/errors.ts';

/** What a checkpoint holds besides tensors: the step, RNG states and any JSON-serialisable extras (loader position). */
export interface CheckpointMeta {
  readonly step: number;
  readonly extra?: Record<string, unknown>;
}

/**
 * Write parameters, buffers and optimizer state (names = tree paths, e.g. `image.blocks.0.attn.qkv.w`,
 * `opt.m.image.blocks.0.attn.qkv.w`) plus metadata to a safetensors file, atomically (temp file + rename).
 */
export function saveCheckpoint(
  path: string,
  tensors: ReadonlyMap<string, HostTensor>,
  meta: CheckpointMeta,
): void {
  const out = new Map<string, SafeTensor>();
  for (const [k, t] of tensors) out.set(k, { dtype: 'F32', shape: t.shape, data: t.data });
  writeSafetensors(path, out, {
    clade: 'checkpoint/1',
    step: String(meta.step),
    extra: JSON.stringify(meta.extra ?? {}),
  });
}

/**
 * Read a checkpoint and check it against the expected names and shapes. Every mismatch is reported at once:
 * missing tensors, unexpected ones, and shape differences.
 */
export function loadCheckpoint(
  path: string,
  expected?: ReadonlyMap<string, readonly number[]>,
): { tensors: Map<string, HostTensor>; meta: CheckpointMeta } {
  if (!existsSync(path)) throw new CladeError('checkpoint file does not exist', { file: path });
  const { tensors, metadata } = readSafetensorsWithMetadata(path);
  const out = new Map<string, HostTensor>();
  for (const [k, t] of tensors) {
    if (t.dtype !== 'F32') throw new CladeError(`expected F32, got ${t.dtype}`, { file: path, tensor: k });
    out.set(k, { shape: t.shape, data: t.data as Float32Array });
  }
  if (expected) {
    const problems: string[] = [];
    for (const [k, shape] of expected) {
      const t = out.get(k);
      if (!t) problems.push(`missing '${k}' [${shape}]`);
      else if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
        problems.push(`'${k}' has shape [${t.shape}], expected [${shape}]`);
    }
    for (const k of out.keys()) if (!expected.has(k)) problems.push(`unexpected '${k}'`);
    if (problems.length)
      throw new CladeError(`checkpoint does not match the model:\n  ${problems.join('\n  ')}`, {
        file: path,
      });
  }
  const step = Number(metadata?.step ?? NaN);
  if (!Number.isInteger(step)) throw new CladeError('metadata has no integer "step"', { file: path });
  let extra: Record<string, unknown> = {};
  try {
    extra = JSON.parse(metadata?.extra ?? '{}');
  } catch {
    throw new CladeError('metadata "extra" is not valid JSON', { file: path });
  }
  return { tensors: out, meta: { step, extra } };
}

/** The parts of a training step a checkpoint captures. */
export interface Checkpointable {
  t: number;
  /** Micro-batches accumulated toward the next update. */
  micro: number;
  rng: { state(): number[] };
  /** The slots as held (optimizer moments possibly scaled) and those scales. */
  heldState(): { tensors: Map<string, HostTensor>; scales: Record<string, number> };
  load(values: ReadonlyMap<string, HostTensor>, scales?: Readonly<Record<string, number>>): void;
  setRngState(words: number[]): void;
}

/** Save a step's full state (tensors, step count, dropout RNG) with caller extras (e.g. the loader position). */
export function saveStepCheckpoint(
  path: string,
  step: Checkpointable,
  extra: Record<string, unknown> = {},
): void {
  // Tensors as the step holds them, with the scale of each scaled optimizer slot (AdamW's m/(1−β₁), v/(1−β₂)):
  // a resume then continues bit for bit. Checkpoints without `slotScales` hold textbook values.
  const { tensors, scales } = step.heldState();
  saveCheckpoint(path, tensors, {
    step: step.t,
    extra: { ...extra, stepRng: step.rng.state(), micro: step.micro, slotScales: scales },
  });
}

/** Restore a step saved by `saveStepCheckpoint`; names and shapes must match exactly. Returns the extras. */
export function restoreStepCheckpoint(path: string, step: Checkpointable): Record<string, unknown> {
  const expected = new Map([...step.heldState().tensors].map(([k, v]) => [k, v.shape]));
  const { tensors, meta } = loadCheckpoint(path, expected);
  const scales = meta.extra?.slotScales;
  step.load(tensors, scales && typeof scales === 'object' ? (scales as Record<string, number>) : {});
  step.t = meta.step;
  const extra = { ...(meta.extra ?? {}) };
  if (Array.isArray(extra.stepRng)) step.setRngState(extra.stepRng as number[]);
  step.micro = typeof extra.micro === 'number' ? extra.micro : 0;
  delete extra.stepRng;
  delete extra.micro;
  delete extra.slotScales;
  return extra;
}
