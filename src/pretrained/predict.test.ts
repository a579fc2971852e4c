import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test, vi } from 'vitest';
import { run as predictCli } from '../cli/commands/predict.ts';
import { run as importCli } from '../cli/commands/import.ts';
import { run as embedCli } from '../cli/commands/embed.ts';
import { run as zeroshotCli } from '../cli/commands/zeroshot.ts';
import { aggregateByRank } from '../analysis/rank-aggregation.ts';
import { checkFixture, readReference } from './fixture-check.ts';
import { openModel } from './open-model.ts';

const FIXTURE = join(import.meta.dirname, '../../test/fixtures/open_clip/tiny-vit-gelu');
const dir = mkdtempSync(join(tmpdir(), 'clade-predict-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// A writable copy of the model folder: the class-text cache goes next to the model.
const MODEL = join(dir, 'model');
cpSync(FIXTURE, MODEL, { recursive: true });

test('predict --cls reproduces open_clip probs_per_image from the image files, and caches class texts', async () => {
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const ref = readReference(FIXTURE);
  const cls = join(dir, 'cls.txt');
  writeFileSync(cls, ref.texts.filter((t) => t).join('\n') + '\n');
  const json = join(dir, 'pred.json');
  const args = [
    MODEL,
    join(MODEL, 'images'),
    '--cls',
    cls,
    '--templates',
    'none',
    '--format',
    'json',
    '--out',
    json,
    '--quiet',
  ];
  expect(await predictCli(args)).toBe(0);
  const preds = JSON.parse(readFileSync(json, 'utf8')) as {
    file: string;
    predictions: { label: string; score: number }[];
  }[];
  expect(preds.map((p) => p.file.split('/').pop())).toEqual(ref.images);
  // The reference softmax runs over all six texts (the empty one included): renormalise it over the five labels.
  const keep = ref.texts.map((t, i) => [t, i] as const).filter(([t]) => t);
  preds.forEach((p, i) => {
    const z = keep.reduce((a, [, j]) => a + ref.probs_per_image[i][j], 0);
    for (const q of p.predictions) {
      const j = ref.texts.indexOf(q.label);
      expect(Math.abs(q.score - ref.probs_per_image[i][j] / z)).toBeLessThan(1e-3);
    }
    expect(p.predictions.map((q) => q.score)).toEqual(
      [...p.predictions.map((q) => q.score)].sort((a, b) => b - a),
    );
  });
  expect(readdirSync(join(MODEL, '.clade-cache')).filter((f) => f.startsWith('class-text-'))).toHaveLength(1);
  // Second run: same output from the cached class embeddings.
  const json2 = join(dir, 'pred2.json');
  expect(await predictCli([...args.slice(0, -3), '--out', json2, '--quiet'])).toBe(0);
  expect(readFileSync(json2, 'utf8')).toBe(readFileSync(json, 'utf8'));
  out.mockRestore();
});

test('predict --taxonomy sums species probabilities up the tree, subsets, abstains', async () => {
  const taxa = join(dir, 'taxa.csv');
  writeFileSync(
    taxa,
    [
      'kingdom,phylum,class,order,family,genus,species,common',
      'Animalia,Chordata,Aves,Passeriformes,Corvidae,Corvus,Corvus corax,common raven',
      'Animalia,Chordata,Aves,Passeriformes,Corvidae,Corvus,corone,carrion crow',
      'Animalia,Chordata,Aves,Passeriformes,Corvidae,Pica,pica,Eurasian magpie',
      'Animalia,Chordata,Aves,Anseriformes,Anatidae,Aythya,collaris,ring-necked duck',
      'Animalia,Chordata,Reptilia,Squamata,Iguanidae,Iguana,iguana,green iguana',
    ].join('\n') + '\n',
  );
  const base = [MODEL, join(MODEL, 'images'), '--taxonomy', taxa, '--quiet', '--format', 'json'];
  const run = async (extra: string[]) => {
    const f = join(dir, `t${Math.random()}.json`);
    expect(await predictCli([...base, ...extra, '--out', f])).toBe(0);
    return JSON.parse(readFileSync(f, 'utf8')) as {
      file: string;
      rank: string;
      predictions: { label: string; lineage: string[]; score: number; common?: string }[];
      abstain?: { rank: string; label: string; score: number } | null;
    }[];
  };
  const species = await run(['--k', '5']);
  const genus = await run(['--rank', 'genus', '--k', '5']);
  species.forEach((s, i) => {
    expect(s.predictions.reduce((a, p) => a + p.score, 0)).toBeCloseTo(1, 5);
    expect(s.predictions.find((p) => p.label === 'Corvus corax')?.common).toBe('common raven');
    const corvus = s.predictions.filter((p) => p.lineage[5] === 'Corvus').reduce((a, p) => a + p.score, 0);
    expect(genus[i].predictions.find((p) => p.label === 'Corvus')!.score).toBeCloseTo(corvus, 6);
  });
  const birds = await run(['--subset', 'Aves', '--k', '10']);
  for (const b of birds) {
    expect(b.predictions).toHaveLength(4);
    expect(b.predictions.reduce((a, p) => a + p.score, 0)).toBeCloseTo(1, 5);
  }
  const ab = await run(['--abstain', '0.5']);
  for (const [i, a] of ab.entries()) {
    // The deepest rank whose top aggregated probability reaches 0.5: kingdom always does (one kingdom).
    expect(a.abstain).not.toBeNull();
    const lineages = species[i].predictions.map((p) => p.lineage);
    const probs = species[i].predictions.map((p) => p.score);
    const r = ['kingdom', 'phylum', 'class', 'order', 'family', 'genus', 'species'].indexOf(a.abstain!.rank);
    expect(aggregateByRank(probs, lineages, r, { k: 1 })[0].score).toBeGreaterThanOrEqual(0.5);
    if (r < 6) expect(aggregateByRank(probs, lineages, r + 1, { k: 1 })[0].score).toBeLessThan(0.5);
  }
  const csvFile = join(dir, 'g.csv');
  expect(
    await predictCli([
      MODEL,
      join(MODEL, 'images'),
      '--taxonomy',
      taxa,
      '--rank',
      'family',
      '--k',
      '2',
      '--out',
      csvFile,
      '--quiet',
    ]),
  ).toBe(0);
  const csv = readFileSync(csvFile, 'utf8').trim().split('\n');
  expect(csv[0]).toBe('file_name,kingdom,phylum,class,order,family,score');
  expect(csv).toHaveLength(1 + 4 * 2);
  // Bad input: ranks without --taxonomy, an unknown rank.
  vi.spyOn(console, 'error').mockImplementation(() => {});
  expect(await predictCli([MODEL, join(MODEL, 'images'), '--cls', 'a,b', '--rank', 'genus', '--quiet'])).toBe(
    1,
  );
  expect(await predictCli([MODEL, join(MODEL, 'images'), '--taxonomy', taxa, '--rank', 'tribe'])).toBe(2);
});

test('clade import writes a model directory whose ONNX files give the same embeddings', async () => {
  vi.spyOn(console, 'log').mockImplementation(() => {});
  const out = join(dir, 'imported');
  expect(await importCli([FIXTURE, '--out', out, '--batch', '4'])).toBe(0);
  for (const f of ['model.json', 'weights.safetensors', 'image.onnx', 'text.onnx'])
    expect(existsSync(join(out, f))).toBe(true);
  const m = await openModel(out);
  expect(m.kind).toBe('clade');
  const r = await checkFixture(FIXTURE, m);
  await m.release();
  expect(r.idsEqual).toBe(true);
  expect(r.textMaxAbs).toBeLessThan(1e-4);
  expect(r.imageMaxAbs).toBeLessThan(1e-4);
  expect(r.probsMaxAbs).toBeLessThan(1e-3);
  expect(r.ownProbsMaxAbs).toBeLessThan(1e-3);
});

test('clade zeroshot --class-text MODEL embeds the class names with the model (and its logit scale)', async () => {
  vi.spyOn(console, 'log').mockImplementation(() => {});
  const ref = readReference(FIXTURE);
  const names = ref.texts.filter((t) => t);
  const emb = join(dir, 'zs-img.npy');
  expect(await embedCli([MODEL, join(MODEL, 'images'), '--out', emb, '--quiet'])).toBe(0);
  writeFileSync(join(dir, 'classes.csv'), 'name\n' + names.map((n) => `"${n}"`).join('\n') + '\n');
  // Each image's "true" class: open_clip's arg-max over the five labels, so top-1 must be 1.
  const truth = ref.probs_per_image.map((p) => {
    const keep = ref.texts.map((t, j) => [t, p[j]] as const).filter(([t]) => t);
    return keep.reduce((b, c) => (c[1] > b[1] ? c : b))[0];
  });
  writeFileSync(join(dir, 'meta.csv'), 'label\n' + truth.map((n) => `"${n}"`).join('\n') + '\n');
  const outDir = join(dir, 'zs');
  const args = [emb, '--class-text', MODEL, '--templates', 'none', '--classes', join(dir, 'classes.csv')];
  expect(
    await zeroshotCli([...args, '--meta', join(dir, 'meta.csv'), '--label-col', 'label', '--out', outDir]),
  ).toBe(0);
  const result = JSON.parse(readFileSync(join(outDir, readdirSync(outDir)[0]), 'utf8'));
  expect(result.metrics.top1).toBe(1);
});
