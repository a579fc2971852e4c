import { describe, expect, test } from 'vitest';
import { Rng } from '../util/rng.ts';
import { grad } from './autodiff/backward.ts';
import { defineGraph } from './graph.ts';
import { PRIM_OPS, type PrimOp } from './ir/ops.ts';
import { size } from './ir/shape.ts';
import { EMIT } from './onnx/emit-rules.ts';
import { evaluate, REFERENCE } from './runtime/reference.ts';
import { compile, type HostArray } from './runtime/ort.ts';
import { VJP } from './autodiff/vjp-rules.ts';
import { INFER } from './ir/infer.ts';
import { constant, input, type Tensor } from './tensor.ts';
import { OP_CASES, type InputSpec } from './testing/op-cases.ts';

function fill(spec: InputSpec, rng: Rng): HostArray {
  const n = size(spec.shape);
  const dt = spec.dtype ?? 'float32';
  if (dt === 'int64')
    return BigInt64Array.from({ length: n }, () => BigInt(rng.int((spec.fill as { int: number }).int)));
  if (dt === 'bool') return Uint8Array.from({ length: n }, () => +rng.bernoulli(0.5));
  return Float32Array.from({ length: n }, () =>
    spec.fill === 'positive' ? 0.5 + rng.float() * 2 : rng.normal(),
  );
}

interface Built {
  ins: Tensor[];
  out: Tensor;
  feeds: Record<string, HostArray>;
  loss: Tensor;
}
function build(op: PrimOp, k: number, seed: number): Built {
  const c = OP_CASES[op][k];
  const rng = new Rng(seed);
  const ins = c.inputs.map((s, i) => input(`x${i}`, s.shape, s.dtype ?? 'float32'));
  const feeds = Object.fromEntries(c.inputs.map((s, i) => [`x${i}`, fill(s, rng)]));
  const out = c.build(ins);
  const weights = constant(rng.normalArray(out.size), out.shape);
  return { ins, out, feeds, loss: out.mul(weights).sum() };
}

const cases = PRIM_OPS.flatMap((op) => OP_CASES[op].map((c, k) => ({ op, k, c })));

test('every primitive has a shape rule, gradient rule, emitter, reference and test case', () => {
  for (const op of PRIM_OPS) {
    expect([op, typeof INFER[op], typeof VJP[op], typeof EMIT[op], typeof REFERENCE[op]]).toEqual([
      op,
      'function',
      'function',
      'function',
      'function',
    ]);
    expect(OP_CASES[op].length).toBeGreaterThan(0);
  }
});

describe('gradient rules agree with central finite differences (float64 reference)', () => {
  for (const { op, k, c } of cases) {
    test(`${op}#${k}`, () => {
      const { ins, feeds, loss } = build(op, k, 11 + k);
      const floatIns = ins.filter((t) => t.dtype === 'float32');
      if (c.noGrad) {
        // No gradient flows through these ops: grad() yields exact zeros, or refuses (topK values).
        if (c.gradThrows) return expect(() => grad(loss, floatIns)).toThrow(c.gradThrows);
        const zeros = grad(loss, floatIns);
        const gz = evaluate(defineGraph(ins, Object.fromEntries(zeros.map((t, i) => [`g${i}`, t]))), feeds);
        for (const v of Object.values(gz)) expect(v.data.every((x) => x === 0)).toBe(true);
        return;
      }
      const grads = grad(loss, floatIns);
      const g = defineGraph(ins, Object.fromEntries([['loss', loss], ...grads.map((t, i) => [`g${i}`, t])]));
      const ref = evaluate(g, feeds);
      const f64 = Object.fromEntries(
        Object.entries(feeds).map(([kk, v]) => [kk, Float64Array.from(v as ArrayLike<number>, Number)]),
      );
      const lossOnly = defineGraph(ins, { loss });
      const evalLoss = (fd: Record<string, Float64Array>) => evaluate(lossOnly, fd).loss.data[0];
      const eps = 1e-6;
      floatIns.forEach((t, gi) => {
        const x = f64[t.name!];
        const analytic = ref[`g${gi}`].data;
        let worst = 0;
        let scale = 1e-3;
        for (let j = 0; j < x.length; j++) {
          const keep = x[j];
          x[j] = keep + eps;
          const up = evalLoss(f64);
          x[j] = keep - eps;
          const dn = evalLoss(f64);
          x[j] = keep;
          const num = (up - dn) / (2 * eps);
          worst = Math.max(worst, Math.abs(num - analytic[j]));
          scale = Math.max(scale, Math.abs(num));
        }
        expect(worst / scale, `${op}#${k} input ${gi}`).toBeLessThan(1e-6);
      });
    });
  }
});

describe('ONNX Runtime agrees with the reference interpreter (forward and gradient graphs)', () => {
  for (const { op, k, c } of cases) {
    test(`${op}#${k}`, async () => {
      const { ins, out, feeds, loss } = build(op, k, 23 + k);
      const floatIns = ins.filter((t) => t.dtype === 'float32');
      const outputs: Record<string, Tensor> = { out: out.dtype === 'float32' ? out : out.cast('float32') };
      if (!c.noGrad) grad(loss, floatIns).forEach((t, i) => (outputs[`g${i}`] = t));
      const g = defineGraph(ins, outputs);
      const ref = evaluate(g, feeds);
      const got = await (await compile(g)).run(feeds);
      for (const name of Object.keys(outputs)) {
        const a = got[name] as Float32Array;
        const r = ref[name].data;
        expect(a.length).toBe(r.length);
        let worst = 0;
        let scale = 1e-6;
        for (let j = 0; j < r.length; j++) {
          worst = Math.max(worst, Math.abs(a[j] - r[j]));
          scale = Math.max(scale, Math.abs(r[j]));
        }
        expect(worst / scale, `${op}#${k} output ${name}`).toBeLessThan(2e-5);
      }
    });
  }
});
