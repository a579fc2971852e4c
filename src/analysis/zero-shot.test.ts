import { describe, expect, test } from 'vitest';
import { classEmbeddings, zeroShot, zeroShotEvaluate } from './zero-shot.ts';
import { retrieval } from './retrieval.ts';
import { Rng } from '../util/rng.ts';

describe('zero-shot', () => {
  test('template ensembling normalises, averages, renormalises', () => {
    // class 0: templates [2,0] and [0,3] → normalised mean [0.5,0.5] → [√½, √½]
    const text = { data: new Float32Array([2, 0, 0, 3, 0, -1, 0, -5]), n: 4, d: 2 };
    const W = classEmbeddings(text, { templatesPerClass: 2 });
    expect(W.n).toBe(2);
    expect(W.data[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(W.data[1]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(Array.from(W.data.subarray(2))).toEqual([0, -1]);
  });

  test('probabilities use the logit scale; metrics are exact on a constructed case', () => {
    const W = { data: new Float32Array([1, 0, 0, 1, -1, 0]), n: 3, d: 2 };
    const x = { data: new Float32Array([2, 0.1, 0.1, 1, -1, 0.2, 0.9, 1]), n: 4, d: 2 };
    const p = zeroShot(x, W, { logitScale: Math.log(10) });
    const c = 2 / Math.hypot(2, 0.1);
    const s = 0.1 / Math.hypot(2, 0.1);
    const den = Math.exp(10 * c) + Math.exp(10 * s) + Math.exp(-10 * c);
    expect(p[0]).toBeCloseTo(Math.exp(10 * c) / den, 5);
    expect(p[0] + p[1] + p[2]).toBeCloseTo(1, 6);
    // truths: 0 ✓, 1 ✓, 2 ✓, 0 ✗ (predicted 1)
    const r = zeroShotEvaluate(x, W, [0, 1, 2, 0]);
    expect(r.top1).toBe(0.75);
    expect(r.top5).toBe(1);
    expect(r.meanPerClassRecall).toBeCloseTo((0.5 + 1 + 1) / 3, 12);
    expect(Array.from(r.predictions)).toEqual([0, 1, 2, 1]);
  });
});

describe('retrieval', () => {
  test('ranks in both directions with several captions per image', () => {
    const images = { data: new Float32Array([1, 0, 0, 1, -1, 0]), n: 3, d: 2 };
    // texts 0,1 → image 0; text 2 → image 1; text 3 → image 2 but it points at image 1 (cos 1) and is orthogonal to image 2
    const texts = { data: new Float32Array([1, 0.1, 0.2, 1, 0.1, 1, 0, 1]), n: 4, d: 2 };
    const { imageToText, textToImage } = retrieval(images, texts, [0, 0, 1, 2]);
    expect(Array.from(imageToText.ranks)).toEqual([1, 2, 1]);
    expect(Array.from(textToImage.ranks)).toEqual([1, 2, 1, 2]);
    expect(imageToText.r1).toBeCloseTo(2 / 3, 12);
    expect(textToImage.meanRank).toBe(1.5);
    expect(textToImage.medianRank).toBe(1.5);
    expect(textToImage.r5).toBe(1);
  });

  test('perfectly paired random embeddings give R@1 = 1 in both directions', () => {
    const rng = new Rng(3);
    const e = { data: rng.normalArray(200 * 16), n: 200, d: 16 };
    const r = retrieval(e, e);
    expect(r.imageToText.r1).toBe(1);
    expect(r.textToImage.r1).toBe(1);
  });
});
