import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { CladeError } from '../util/errors.ts';
import {
  describeBytes,
  describeInput,
  hashFile,
  makeResult,
  readResults,
  resultPath,
  writeResult,
} from './result-files.ts';
import { validateResult } from './result-schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-results-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const input = describeBytes('emb', new Uint8Array([1, 2, 3]));
const base = () =>
  makeResult({
    kind: 'knn',
    inputs: [input],
    params: { k: 200, T: 0.1 },
    timings: { knn: 1.5 },
    metrics: { top1: 0.8 },
  });

function thrown(f: () => unknown): CladeError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CladeError);
    return e as CladeError;
  }
  throw new Error('expected a CladeError');
}

describe('validation errors name the file and the field', () => {
  test('wrong type in a metric', () => {
    const doc = { ...base(), metrics: { top1: 'high' } };
    const e = thrown(() => validateResult(doc, 'runs/knn-x.json'));
    expect(e.where).toEqual({ file: 'runs/knn-x.json', field: 'metrics.top1' });
    expect(e.message).toMatch(/^runs\/knn-x\.json: field metrics\.top1: /);
  });

  test('series length mismatch names the series field', () => {
    const doc = { ...base(), series: { homogeneity: { p: [1, 10, 100], fraction: [0.9, 0.8] } } };
    const e = thrown(() => validateResult(doc, 'a.json'));
    expect(e.where.field).toBe('series.homogeneity.fraction');
    expect(e.message).toContain('expected 3 values (one per p), got 2');
  });

  test('projection labels must have one label per point', () => {
    const doc = { ...base(), projection: { x: [0, 1], y: [0, 1], labels: { genus: ['a'] } } };
    expect(thrown(() => validateResult(doc, 'p.json')).where.field).toBe('projection.labels.genus');
  });

  test('unknown top-level key and wrong schema id', () => {
    const e = thrown(() => validateResult({ ...base(), metrcs: {} }, 'u.json'));
    expect(e.message).toContain('unknown key(s) "metrcs"');
    expect(thrown(() => validateResult({ ...base(), schema: 'other/1' }, 's.json')).where.field).toBe(
      'schema',
    );
  });

  test('nested array element path and extra problems listed', () => {
    const doc = { ...base(), inputs: [{ path: 'x', sha256: 'nothex', bytes: -1 }] };
    const e = thrown(() => validateResult(doc, 'i.json'));
    expect(e.where.field).toBe('inputs[0].sha256');
    expect(e.message).toContain('inputs[0].bytes');
  });

  test('unknown series names must be generic x/y series', () => {
    const ok = makeResult({ kind: 'train', metrics: {}, series: { loss: { x: [0, 1], y: [2, 1] } } });
    expect(ok.series?.loss).toEqual({ x: [0, 1], y: [2, 1] });
    expect(thrown(() => makeResult({ kind: 'train', metrics: {}, series: { loss: [1, 2] } })).where).toEqual({
      file: 'makeResult(train)',
      field: 'series.loss',
    });
  });
});

describe('makeResult', () => {
  test('fills schema, version and date; typed arrays become arrays, NaN becomes null', () => {
    const r = makeResult({
      kind: 'rld',
      metrics: { rld: Number.NaN, folds: new Float32Array([0.5, 0.25]), perRank: { genus: Infinity } },
      series: { rld: { T: [1, 0.1], rld: new Float64Array([0.3, Number.NaN]) } },
      createdAt: new Date('2026-01-02T03:04:05Z'),
    });
    expect(r.schema).toBe('clade.result/1');
    expect(r.clade.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.createdAt).toBe('2026-01-02T03:04:05.000Z');
    expect(r.metrics).toEqual({ rld: null, folds: [0.5, 0.25], perRank: { genus: null } });
    expect(r.series?.rld?.rld).toEqual([0.3, null]);
  });

  test('rejects a bad kind', () => {
    expect(thrown(() => makeResult({ kind: 'Zero Shot', metrics: {} })).where.field).toBe('kind');
  });
});

describe('files', () => {
  test('hashFile streams SHA-256; describeInput records size', async () => {
    const f = join(dir, 'abc.txt');
    writeFileSync(f, 'abc');
    expect(await hashFile(f)).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(await describeInput(f)).toEqual({ path: f, sha256: expect.stringMatching(/^ba78/), bytes: 3 });
    await expect(hashFile(join(dir, 'missing.npy'))).rejects.toThrow(/missing\.npy: file not found/);
  });

  test('writeResult: <kind>-<hash>.json, atomic, same id for a re-run, skipExisting keeps the old file', () => {
    const out = join(dir, 'w');
    const a = writeResult(out, base());
    expect(a.skipped).toBe(false);
    expect(a.path).toMatch(/knn-[0-9a-f]{12}\.json$/);
    expect(a.path).toBe(resultPath(out, { kind: 'knn', inputs: [input], params: { T: 0.1, k: 200 } }));
    const rerun = makeResult({ ...base(), metrics: { top1: 0.9 } });
    expect(writeResult(out, rerun, { skipExisting: true })).toEqual({ path: a.path, skipped: true });
    expect(JSON.parse(readFileSync(a.path, 'utf8')).metrics.top1).toBe(0.8);
    writeResult(out, rerun);
    expect(JSON.parse(readFileSync(a.path, 'utf8')).metrics.top1).toBe(0.9);
    const other = writeResult(out, makeResult({ ...base(), params: { k: 20, T: 0.1 } }));
    expect(other.path).not.toBe(a.path);
    expect(readdirSync(out).sort()).toHaveLength(2); // no temporary files left behind
  });

  test('readResults reads a directory in name order and reports the bad file', () => {
    const out = join(dir, 'r');
    writeResult(out, base());
    writeResult(out, makeResult({ kind: 'zeroshot', metrics: { top1: 0.5 } }));
    writeFileSync(join(out, 'notes.txt'), 'ignored');
    writeFileSync(join(out, 'config.json'), '{"model": "tiny"}'); // not a result: skipped in a directory…
    const rs = readResults(out);
    expect(rs.map((r) => r.result.kind)).toEqual(['knn', 'zeroshot']);
    expect(readResults([out, rs[0].file])).toHaveLength(2); // de-duplicated
    expect(() => readResults(join(out, 'config.json'))).toThrow(/config\.json: field schema:/); // …but not when named
    writeFileSync(join(out, 'zz-broken.json'), '{"schema": "clade.result/1", ');
    expect(() => readResults(out)).toThrow(/zz-broken\.json: not valid JSON/);
    writeFileSync(join(out, 'zz-broken.json'), JSON.stringify({ ...base(), timings: { knn: -1 } }));
    expect(() => readResults(out)).toThrow(/zz-broken\.json: field timings\.knn:/);
    expect(() => readResults(join(dir, 'nope'))).toThrow(/nope: no such file or directory/);
  });
});

test('describeModelDir hashes the files of a model directory, so other weights give another hash', async () => {
  const { describeModelDir } = await import('./result-files.ts');
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const m = mkdtempSync(join(tmpdir(), 'clade-model-hash-'));
  try {
    writeFileSync(join(m, 'model.json'), '{}');
    writeFileSync(join(m, 'weights.safetensors'), 'aaaa');
    const a = describeModelDir(m);
    expect(a).toMatchObject({ path: m, bytes: 6 });
    writeFileSync(join(m, 'weights.safetensors'), 'aaab');
    expect(describeModelDir(m).sha256).not.toBe(a.sha256);
  } finally {
    rmSync(m, { recursive: true, force: true });
  }
});
