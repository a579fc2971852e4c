/**
 * Exported towers with standard ONNX ops only vs ORT contrib ops (com.microsoft Gelu, FusedMatMul), in
 * onnxruntime-node: interleaved A B A B rounds, median of per-round time ratios (the machine is shared).
 *
 *   node bin/run-ts.mjs bench/engine/tower-ops.ts [--rounds 9]
 */
import * as ort from 'onnxruntime-node';
import { execSync } from 'node:child_process';
import { forwardOnnx } from '../../src/train/export.ts';
import { clipTaxonomy } from '../../src/train/recipes/clip-taxonomy.ts';
import { Rng } from '../../src/util/rng.ts';

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 9;
const B = 64;
const recipe = clipTaxonomy({ textWidth: 256, textDepth: 4, textHeads: 4, contextLength: 32, embedDim: 128 });
const params = recipe.init(new Rng(0));
const towers = recipe.towers(B);
console.log(
  `CPU: ${execSync("lscpu | grep 'Model name' | sed 's/.*: *//'").toString().trim()}; load ${(
    await import('node:os')
  )
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
for (const [name, spec] of Object.entries(towers)) {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [k, s] of Object.entries(spec.inputs)) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    feeds[k] =
      s.dtype === 'int64'
        ? new ort.Tensor(
            'int64',
            BigInt64Array.from({ length: n }, (_, i) =>
              BigInt(k === 'eot' ? (s.shape.length === 1 ? 31 : 0) : (i * 7) % 50),
            ),
            [...s.shape],
          )
        : new ort.Tensor(
            'float32',
            Float32Array.from({ length: n }, (_, i) => Math.sin(i)),
            [...s.shape],
          );
  }
  const sessions = {
    standard: await ort.InferenceSession.create(forwardOnnx(params, spec, name, 'standard'), {
      intraOpNumThreads: 2,
    }),
    contrib: await ort.InferenceSession.create(forwardOnnx(params, spec, name, 'contrib'), {
      intraOpNumThreads: 2,
    }),
  };
  const time = async (s: ort.InferenceSession, reps: number) => {
    const t = performance.now();
    for (let i = 0; i < reps; i++) await s.run(feeds);
    return (performance.now() - t) / reps;
  };
  await time(sessions.standard, 3);
  await time(sessions.contrib, 3);
  const reps = Math.max(3, Math.round(300 / (await time(sessions.contrib, 2))));
  const ratios: number[] = [];
  const ts: number[] = [];
  const tc: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const [a, b] =
      r % 2
        ? [await time(sessions.contrib, reps), await time(sessions.standard, reps)].reverse()
        : [await time(sessions.standard, reps), await time(sessions.contrib, reps)];
    ts.push(a);
    tc.push(b);
    ratios.push(a / b);
  }
  const med = (x: number[]) => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)];
  console.log(
    `${name} tower [B=${B}]: standard ${med(ts).toFixed(2)} ms, contrib ${med(tc).toFixed(2)} ms, median ratio standard/contrib ${med(ratios).toFixed(3)} (${rounds} interleaved rounds × ${reps} runs)`,
  );
}
