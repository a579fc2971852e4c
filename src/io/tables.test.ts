import { describe, expect, test } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeEmbeddingTable, readEmbeddingTable } from './embedding-table.ts';
import { readBioclipJson, writeBioclipJson } from './bioclip-json.ts';
import { csvTable, joinByKey, encodeLabels, readMetaTable } from './metadata.ts';
import { loadEmbeddings } from './load-embeddings.ts';
import { writeSafetensors } from './safetensors.ts';
import { parseCsv } from './csv.ts';
import { parquetWriteBuffer } from 'hyparquet-writer';

const dir = mkdtempSync(join(tmpdir(), 'clade-tab-'));
const e = { data: new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), n: 3, d: 3 };
const ids = ['img/a.jpg', 'img/b.jpg', 'img/c.jpg'];

describe('embedding tables', () => {
  test.each(['t.parquet', 't.arrow'])('%s round trip', async (name) => {
    const p = join(dir, name);
    await writeEmbeddingTable(p, e, ids);
    const r = await readEmbeddingTable(p);
    expect(r.ids).toEqual(ids);
    expect([r.embeddings.n, r.embeddings.d]).toEqual([3, 3]);
    expect(Array.from(r.embeddings.data)).toEqual(Array.from(e.data));
    const viaLoad = await loadEmbeddings(p);
    expect(viaLoad.ids).toEqual(ids);
  });

  test('NaN rows and ragged rows name file and row', async () => {
    const p = join(dir, 'nan.arrow');
    await writeEmbeddingTable(p, { data: new Float32Array([0, 0, 0, 1, Infinity, 0]), n: 2, d: 3 }, [
      'x',
      'y',
    ]);
    await expect(readEmbeddingTable(p)).rejects.toThrow(
      /nan\.arrow: row 1: non-finite value \(Infinity\) in column 1 \(id y\)/,
    );
    const j = join(dir, 'ragged.json');
    writeFileSync(j, JSON.stringify({ model: 'm', embeddings: { a: [1, 2], b: [1, 2, 3] } }));
    expect(() => readBioclipJson(j)).toThrow(
      /ragged\.json: row 1: embedding for 'b' has dimension 3, expected 2/,
    );
  });

  test('pybioclip embed JSON round trip', () => {
    const p = join(dir, 'embed.json');
    writeBioclipJson(p, e, ids, 'hf-hub:imageomics/bioclip-2');
    const r = readBioclipJson(p);
    expect(r.model).toBe('hf-hub:imageomics/bioclip-2');
    expect(r.ids).toEqual(ids);
    expect(r.embeddings.data[8]).toBe(9);
  });

  test('safetensors through loadEmbeddings, with name selection', async () => {
    const p = join(dir, 'e.safetensors');
    writeSafetensors(p, {
      image: { dtype: 'F32', shape: [3, 3], data: e.data },
      text: { dtype: 'F32', shape: [1, 3], data: new Float32Array(3) },
    });
    await expect(loadEmbeddings(p)).rejects.toThrow(/pass a tensor name/);
    const r = await loadEmbeddings(p, { name: 'image' });
    expect(r.embeddings.n).toBe(3);
    await expect(loadEmbeddings(p, { name: 'nope' })).rejects.toThrow(/no tensor 'nope'/);
  });
});

describe('metadata', () => {
  test('CSV parsing handles quotes, CRLF and embedded newlines', () => {
    expect(parseCsv('a,b\r\n"x, ""y""","1\n2"\r\n')).toEqual([
      ['a', 'b'],
      ['x, "y"', '1\n2'],
    ]);
  });

  test('join by id, basename match, labels, missing ids', async () => {
    const t = csvTable('path,species\nc.jpg,wolf\na.jpg,fox\nb.jpg,wolf\n', 'meta.csv');
    const rows = joinByKey(ids, t, 'path', { basename: true, embeddingsFile: 'emb.parquet' });
    expect(Array.from(rows)).toEqual([1, 2, 0]);
    const { labels, classes } = encodeLabels(t, 'species', rows);
    expect(classes).toEqual(['fox', 'wolf']);
    expect(Array.from(labels)).toEqual([0, 1, 1]);
    expect(() => joinByKey(['zzz.jpg'], t, 'path', { embeddingsFile: 'emb.parquet' })).toThrow(
      /emb\.parquet: row 0: id 'zzz\.jpg' has no metadata row/,
    );
    expect(() => joinByKey(ids, t, 'file')).toThrow(/meta\.csv: no column 'file' \(columns: path, species\)/);
    expect(() => csvTable('a,b\n1\n', 'x.csv')).toThrow(/x\.csv: row 1: expected 2 fields, got 1/);
    const dup = csvTable('id,y\na,1\na,2\n', 'd.csv');
    expect(() => joinByKey(['a'], dup, 'id')).toThrow(/d\.csv: row 1: duplicate id 'a'/);
    const pq = join(dir, 'meta.parquet');
    writeFileSync(
      pq,
      new Uint8Array(
        parquetWriteBuffer({
          columnData: [
            { name: 'path', data: ['img/b.jpg', 'img/a.jpg', 'img/c.jpg'] },
            { name: 'genus', data: ['Felis', 'Canis', null] },
          ],
        }),
      ),
    );
    const mt = await readMetaTable(pq);
    expect(mt.names).toEqual(['path', 'genus']);
    const rowsPq = joinByKey(ids, mt, 'path');
    expect(Array.from(rowsPq)).toEqual([1, 0, 2]);
    expect(() => encodeLabels(mt, 'genus', rowsPq)).toThrow(/meta\.parquet: row 2: empty genus/);
    const p = join(dir, 'm.csv');
    writeFileSync(p, 'id,y\nq,\n');
    const m = await readMetaTable(p);
    expect(m.columns.y[0]).toBeNull();
  });
});
