import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { afterAll, afterEach, beforeAll, expect, test, vi } from 'vitest';
import { readEmbeddingTable } from '../../io/embedding-table.ts';
import { readNpy } from '../../io/npy.ts';
import { readSafetensorsWithMetadata } from '../../io/safetensors.ts';
import { runTower, writeModelDir } from '../../train/model-dir.ts';
import { clipTaxonomy } from '../../train/recipes/clip-taxonomy.ts';
import { syntheticImageText } from '../../data/pipelines/synthetic.ts';
import { Rng } from '../../util/rng.ts';
import { embedTexts, stackImages } from '../../embed/embed.ts';
import { run as embedCli } from './embed.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-embed-cli-'));
const model = join(dir, 'model');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());
beforeAll(() => {
  // an untrained tiny model is enough: embed must reproduce what the tower computes on eval-view inputs
  const recipe = clipTaxonomy({
    seed: 4,
    perSpecies: 1,
    batchSize: 8,
    imageChannels: [8, 16, 16],
    textWidth: 16,
    textDepth: 1,
    embedDim: 16,
    contextLength: 12,
  });
  writeModelDir(model, recipe, recipe.init(new Rng(1)), 8);
});

function capture() {
  const out: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((...s) => void out.push(s.join(' ')));
  vi.spyOn(console, 'log').mockImplementation((...s) => void out.push(s.join(' ')));
  return out;
}

test('embed synthetic-taxonomy to Parquet: ids, labels, names and the tower output on eval views', async () => {
  const log = capture();
  const out = join(dir, 'emb.parquet');
  expect(await embedCli([model, 'synthetic-taxonomy:test:1', '--out', out, '--quiet'])).toBe(0);
  expect(log.join('\n')).toContain('60 × 16');
  const rows = await parquetReadObjects({ file: await asyncBufferFromFile(out) });
  expect(rows).toHaveLength(60);
  expect(Object.keys(rows[0]).sort()).toEqual(['embedding', 'id', 'label', 'label_name']);
  expect(rows[7]).toMatchObject({ id: 'synthetic-taxonomy/test/7', label: 7 });
  expect((rows[7].embedding as number[]).length).toBe(16);
  const meta = await parquetMetadataAsync(await asyncBufferFromFile(out));
  expect(meta.key_value_metadata?.find((k) => k.key === 'data')?.value).toBe('synthetic-taxonomy:test:1');

  // the same images through the demo's eval pipeline (seed 4 and size from the model) and the tower directly
  const ref = await stackImages(
    syntheticImageText({ seed: 4, perSpecies: 1, size: 32, split: 'test', mode: 'eval', views: 1 }),
  );
  expect(rows[3].label_name).toBe(
    clipTaxonomy({ seed: 4, perSpecies: 1 }).data.classNames[ref.samples[3].label!],
  );
  const direct = await runTower(model, 'image', { image: ref.images }, 60);
  const table = await readEmbeddingTable(out);
  expect(table.ids[0]).toBe('synthetic-taxonomy/test/0');
  expect(Array.from(table.embeddings.data)).toEqual(Array.from(direct.data));
});

test('embed a CIFAR-10 binary to .npy, .arrow (fixed-size list) and .safetensors', async () => {
  capture();
  const rng = new Rng(9);
  const n = 7;
  const bin = new Uint8Array(n * 3073);
  for (let i = 0; i < n; i++) {
    bin[i * 3073] = i % 10;
    for (let j = 1; j < 3073; j++) bin[i * 3073 + j] = rng.int(256);
  }
  const file = join(dir, 'data_batch_1.bin');
  writeFileSync(file, bin);
  expect(await embedCli([model, file, '--out', join(dir, 'c.npy'), '--quiet'])).toBe(0);
  const npy = readNpy(join(dir, 'c.npy'));
  expect(npy.shape).toEqual([7, 16]);
  const side = JSON.parse(readFileSync(join(dir, 'c.json'), 'utf8'));
  expect(side.labels).toEqual([0, 1, 2, 3, 4, 5, 6]);
  expect(side.labelNames[2]).toBe('bird');

  expect(await embedCli([model, `cifar10:${file}`, '--out', join(dir, 'c.arrow'), '--quiet'])).toBe(0);
  const arrow = await readEmbeddingTable(join(dir, 'c.arrow'));
  expect([arrow.embeddings.n, arrow.embeddings.d]).toEqual([7, 16]);
  expect(Array.from(arrow.embeddings.data)).toEqual(Array.from(npy.data as Float32Array));

  expect(await embedCli([model, file, '--out', join(dir, 'c.safetensors'), '--limit', '5', '--quiet'])).toBe(
    0,
  );
  const st = readSafetensorsWithMetadata(join(dir, 'c.safetensors'));
  expect(st.tensors.get('embedding')!.shape).toEqual([5, 16]);
  expect(Array.from(st.tensors.get('label')!.data as Int32Array)).toEqual([0, 1, 2, 3, 4]);
  expect(JSON.parse(st.metadata!.ids)).toHaveLength(5);
});

test('--tower tabular embeds raw tabular features through tabular.onnx', async () => {
  capture();
  const { buildRecipe, resolveConfig } = await import('../../train/resolve-config.ts');
  const cfg = resolveConfig({
    recipe: 'multiview-tabular',
    recipeConfig: {
      perSpecies: 1,
      batchSize: 8,
      imageChannels: [4, 4, 4],
      textWidth: 8,
      textDepth: 1,
      embedDim: 8,
      tabularHidden: [8],
    },
  });
  const recipe = await buildRecipe(cfg);
  const mv = join(dir, 'mv-model');
  writeModelDir(mv, recipe, recipe.init(new Rng(2)), 8);
  const out = join(dir, 'tab.parquet');
  expect(
    await embedCli([mv, 'synthetic-taxonomy:test:1', '--tower', 'tabular', '--out', out, '--quiet']),
  ).toBe(0);
  const table = await readEmbeddingTable(out);
  expect([table.embeddings.n, table.embeddings.d]).toEqual([60, 8]);
  const { syntheticTaxonomy } = await import('../../data/synthetic/synthetic-taxonomy.ts');
  const ds = syntheticTaxonomy({ seed: 0, perSpecies: 1, split: 'test' });
  const x = new Float32Array(60 * 6);
  for (let i = 0; i < 60; i++) x.set(ds.get(i).tabular!, i * 6);
  const direct = await runTower(mv, 'tabular', { tabular: x }, 60);
  expect(Array.from(table.embeddings.data)).toEqual(Array.from(direct.data));
  expect(
    await embedCli([model, 'synthetic-taxonomy:test:1', '--tower', 'tabular', '--out', out, '--quiet']),
  ).toBe(1);
  expect(await embedCli([model, 'synthetic-taxonomy:test:1', '--tower', 'audio', '--out', out])).toBe(2);
});

test('--tower text embeds .txt lines or dataset texts with the recorded tokenizer', async () => {
  capture();
  const recipe = clipTaxonomy({ seed: 4, perSpecies: 1, contextLength: 12 }); // the model's tokenizer
  const lines = ['a photo of Animalia.', 'a photo of a bird.', recipe.data.synthetic!.get(0).texts!.taxon];
  writeFileSync(join(dir, 'texts.txt'), lines.join('\n') + '\n');
  const out = join(dir, 'texts.npy');
  expect(await embedCli([model, join(dir, 'texts.txt'), '--tower', 'text', '--out', out, '--quiet'])).toBe(0);
  const got = readNpy(out);
  expect(got.shape).toEqual([3, 16]);
  const direct = await embedTexts(model, lines, { tokenizer: recipe.tokenizer });
  expect(Array.from(got.data as Float32Array)).toEqual(Array.from(direct.data));

  // class names the model's word vocabulary does not know: warned about, by name, not silently all <unk>
  const log = capture();
  expect(log.join('\n')).not.toContain('warning');
  writeFileSync(join(dir, 'unknown.txt'), 'Corvus corax\nPica pica\na photo\n');
  const unk = join(dir, 'unknown.npy');
  expect(await embedCli([model, join(dir, 'unknown.txt'), '--tower', 'text', '--out', unk, '--quiet'])).toBe(
    0,
  );
  expect(log.join('\n')).toContain("2 of 3 texts are entirely unknown ('Corvus corax', 'Pica pica')");

  const sci = join(dir, 'sci.parquet');
  expect(
    await embedCli([
      model,
      'synthetic-taxonomy:test:1',
      '--tower',
      'text',
      '--text-type',
      'sci',
      '--out',
      sci,
      '--quiet',
    ]),
  ).toBe(0);
  const table = await readEmbeddingTable(sci);
  expect(table.embeddings.n).toBe(60);
  const first = await embedTexts(model, [recipe.data.synthetic!.get(0).texts!.sci], {
    tokenizer: recipe.tokenizer,
  });
  expect(Array.from(table.embeddings.data.subarray(0, 16))).toEqual(Array.from(first.data));
  expect(
    await embedCli([
      model,
      'synthetic-taxonomy:test:1',
      '--tower',
      'text',
      '--text-type',
      'latin',
      '--out',
      sci,
    ]),
  ).toBe(1);
});

test('bad data specs and outputs exit 1 naming the problem; usage errors exit 2', async () => {
  const log = capture();
  expect(await embedCli([model, join(dir, 'nothing-here'), '--out', join(dir, 'x.parquet')])).toBe(1);
  expect(log.join('\n')).toContain('no such file or folder; expected synthetic-taxonomy');
  expect(await embedCli([model, 'synthetic-taxonomy:test:1', '--out', join(dir, 'x.csv'), '--quiet'])).toBe(
    1,
  );
  expect(log.join('\n')).toContain("unknown output extension '.csv'");
  expect(await embedCli([model, 'synthetic-taxonomy'])).toBe(2);
  expect(await embedCli([model])).toBe(2);
});

test('--limit: the message counts what was embedded, not the whole data set', async () => {
  const log = capture();
  const out = join(dir, 'limited.npy');
  expect(await embedCli([model, 'synthetic-taxonomy:test:1', '--out', out, '--limit', '5', '--quiet'])).toBe(
    0,
  );
  expect(log.join('\n')).toContain('synthetic-taxonomy test (60 images), the first 5: 5 × 16');
});
