import { describe, expect, test } from 'vitest';
import { CladeError } from '../../util/errors.ts';
import { prefixKey, Taxonomy } from './taxonomy.ts';
import { TEXT_TYPES, taxonText, applyTemplate } from './text-types.ts';
import {
  BIOCLIP_TEMPLATES,
  OPENAI_IMAGENET_TEMPLATES,
  SIMPLE_IMAGENET_TEMPLATES,
  expandTemplates,
} from './templates.ts';
import { textTypeSchedule } from './text-type-schedule.ts';
import { cifar100Taxonomy, cifar100CoarseOfFine } from './cifar100-taxonomy.ts';

const RANKS = ['kingdom', 'phylum', 'class', 'order', 'family', 'genus', 'species'];
const MAGPIE = ['Animalia', 'Chordata', 'Aves', 'Passeriformes', 'Corvidae', 'Pica', 'hudsonia'];

describe('Taxonomy', () => {
  const t = new Taxonomy(RANKS, [
    { lineage: MAGPIE, common: 'black-billed magpie' },
    {
      lineage: ['Animalia', 'Chordata', 'Aves', 'Passeriformes', 'Corvidae', 'Pica', 'pica'],
      common: 'Eurasian magpie',
    },
    { lineage: ['Animalia', 'Chordata', 'Aves', 'Passeriformes', null, 'Incertus', 'dubius'] },
    { lineage: ['Plantae', 'Tracheophyta', 'Magnoliopsida', 'Rosales', 'Rosaceae', 'Rosa', 'canina'] },
    // same genus name under a different family: a different clade
    { lineage: ['Plantae', 'Tracheophyta', 'Magnoliopsida', 'Fabales', 'Fabaceae', 'Pica', 'falsa'] },
  ]);

  test('ranks, lineage, lookups by any rank', () => {
    expect(t.size).toBe(5);
    expect(t.rankIndex('genus')).toBe(5);
    expect(t.nameAt(0, 'family')).toBe('Corvidae');
    expect(t.nameAt(2, 'family')).toBeNull();
    expect(t.cladesAt('kingdom')).toEqual(['Animalia', 'Plantae']);
    expect(Array.from(t.labelsAt('kingdom'))).toEqual([0, 0, 0, 1, 1]);
    expect(t.find('pica')).toBe(1);
    expect(t.find('Eurasian magpie')).toBe(1);
    expect(t.find('nothing')).toBe(-1);
  });

  test('missing intermediate ranks are explicit: null name, label -1, never filled', () => {
    expect(Array.from(t.labelsAt('family'))).toEqual([0, 0, -1, 1, 2]);
    expect(t.lineage(2)).toEqual([
      'Animalia',
      'Chordata',
      'Aves',
      'Passeriformes',
      null,
      'Incertus',
      'dubius',
    ]);
    expect(Array.from(t.labelsAt('order'))).toEqual([0, 0, 0, 1, 2]);
  });

  test('clades are keyed by their ancestors; classes under a clade', () => {
    expect(Array.from(t.labelsAt('genus'))).toEqual([0, 0, 1, 2, 3]); // the two Pica genera differ
    expect(t.classesUnder('genus', 'Pica')).toEqual([0, 1, 4]);
    expect(t.classesUnder('order', 'Passeriformes')).toEqual([0, 1, 2]);
    expect(t.scientific(0)).toBe('Pica hudsonia');
  });

  test('clades are keyed by the prefix as a tuple: names that would collide when joined stay apart', () => {
    const t = new Taxonomy(['family', 'genus'], [{ lineage: ['A/B', 'C'] }, { lineage: ['A', 'B/C'] }]);
    expect(t.cladesAt('genus')).toEqual(['C', 'B/C']);
    expect(Array.from(t.labelsAt('genus'))).toEqual([0, 1]);
    const u = new Taxonomy(['a', 'b'], [{ lineage: ['x y', 'z'] }, { lineage: ['x', 'y z'] }]);
    expect(Array.from(u.labelsAt('b'))).toEqual([0, 1]);
    expect(prefixKey(['A', null, 'C'], 2)).not.toBe(prefixKey(['A', 'C'], 1)); // a missing rank is a tuple element
    expect(prefixKey(['A', null, 'C'], 1)).toBe('["A",null]');
  });
  test('bad input: unknown rank, wrong lineage length, unknown clade', () => {
    expect(() => t.labelsAt('tribe')).toThrow(/unknown rank 'tribe'; ranks are kingdom/);
    expect(() => t.classesUnder('genus', 'Nope')).toThrow(CladeError);
    expect(() => new Taxonomy(['a', 'b'], [{ lineage: ['x'] }])).toThrow(
      /class 0: lineage has 1 names, expected 2/,
    );
    expect(() => Taxonomy.fromRows(['genus', 'species'], [{ genus: 'Pica' }], { file: 'tax.csv' })).toThrow(
      "tax.csv: row 1: missing rank column 'species'",
    );
  });

  test('fromRows treats empty and NA as missing', () => {
    const r = Taxonomy.fromRows(['family', 'genus'], [{ family: 'NA', genus: 'Pica', com: 'magpie' }], {
      common: 'com',
    });
    expect(r.lineage(0)).toEqual([null, 'Pica']);
    expect(r.classes[0].common).toBe('magpie');
  });
});

describe('text types (docs/methods.md §A.3)', () => {
  const common = 'black-billed magpie';
  const opts = { scientific: 'Pica hudsonia' };
  test('the five types render exactly as the table', () => {
    expect(taxonText(MAGPIE, common, 'taxon')).toBe(
      'a photo of Animalia Chordata Aves Passeriformes Corvidae Pica hudsonia.',
    );
    expect(taxonText(MAGPIE, common, 'sci', opts)).toBe('a photo of Pica hudsonia.');
    expect(taxonText(MAGPIE, common, 'com', opts)).toBe('a photo of black-billed magpie.');
    expect(taxonText(MAGPIE, common, 'sci_com', opts)).toBe(
      'a photo of Pica hudsonia with common name black-billed magpie.',
    );
    expect(taxonText(MAGPIE, common, 'taxon_com')).toBe(
      'a photo of Animalia Chordata Aves Passeriformes Corvidae Pica hudsonia with common name black-billed magpie.',
    );
  });
  test('known ranks only; sci falls back to the most specific known name; com falls back to sci', () => {
    const partial = ['Animalia', null, 'Aves', null, 'Corvidae', null, null];
    expect(taxonText(partial, undefined, 'taxon')).toBe('a photo of Animalia Aves Corvidae.');
    expect(taxonText(partial, undefined, 'sci')).toBe('a photo of Corvidae.');
    expect(taxonText(partial, undefined, 'com')).toBe('a photo of Corvidae.');
    // BioCLIP's Taxon.taxonomic joins the seven ranks and collapses the blanks: a missing rank is skipped and the
    // string stops at the deepest known rank (Taxon('animalia', '', 'aves', '', 'corvidae', 'pica', '') → this)
    expect(taxonText(['Animalia', null, 'Aves', null, 'Corvidae', 'Pica', null], undefined, 'taxon')).toBe(
      'a photo of Animalia Aves Corvidae Pica.',
    );
    expect(taxonText(MAGPIE, common, 'sci', { template: 'itap of a {c}.' })).toBe('itap of a hudsonia.');
    expect(TEXT_TYPES).toEqual(['taxon', 'sci', 'com', 'sci_com', 'taxon_com']);
  });
  test('template sets', () => {
    expect(OPENAI_IMAGENET_TEMPLATES).toHaveLength(80);
    expect(new Set(OPENAI_IMAGENET_TEMPLATES).size).toBe(80);
    expect(SIMPLE_IMAGENET_TEMPLATES).toHaveLength(7);
    expect(OPENAI_IMAGENET_TEMPLATES[0]).toBe('a bad photo of a {c}.');
    expect(expandTemplates(['cat', 'dog'], BIOCLIP_TEMPLATES)).toEqual([
      ['a photo of cat.'],
      ['a photo of dog.'],
    ]);
    expect(expandTemplates(['cat'], OPENAI_IMAGENET_TEMPLATES)[0][35]).toBe('a cat in a video game.');
    expect(applyTemplate('a {} b', 'x')).toBe('a x b');
    expect(() => applyTemplate('no slot', 'x')).toThrow(CladeError);
  });
});

describe('textTypeSchedule', () => {
  test('perBatch: one type per step, deterministic, roughly uniform', () => {
    const s = textTypeSchedule(42, 'perBatch');
    const counts = new Map<string, number>();
    for (let step = 0; step < 5000; step++) {
      const b = s.batch(step, 8);
      expect(new Set(b).size).toBe(1);
      counts.set(b[0], (counts.get(b[0]) ?? 0) + 1);
    }
    expect(counts.size).toBe(5);
    for (const c of counts.values()) expect(Math.abs(c - 1000)).toBeLessThan(150);
    expect(textTypeSchedule(42, 'perBatch').batch(77, 3)).toEqual(s.batch(77, 3));
    const other = textTypeSchedule(43, 'perBatch');
    expect(Array.from({ length: 50 }, (_, i) => other.typeAt(i))).not.toEqual(
      Array.from({ length: 50 }, (_, i) => s.typeAt(i)),
    );
  });
  test('perSample: types vary inside a batch; restricted type sets', () => {
    const s = textTypeSchedule(1, 'perSample');
    expect(new Set(s.batch(0, 64)).size).toBe(5);
    expect(s.batch(3, 16)).toEqual(textTypeSchedule(1, 'perSample').batch(3, 16));
    expect(new Set(textTypeSchedule(1, 'perSample', ['sci', 'com']).batch(0, 64))).toEqual(
      new Set(['sci', 'com']),
    );
    expect(() => textTypeSchedule(1, 'perBatch', ['genus'])).toThrow(/unknown text type 'genus'/);
  });
});

describe('CIFAR-100 taxonomy', () => {
  test('2 ranks, 100 classes in fine-label order, 5 per superclass', () => {
    const t = cifar100Taxonomy();
    expect(t.ranks).toEqual(['superclass', 'class']);
    expect(t.size).toBe(100);
    expect(t.nameAt(0, 'class')).toBe('apple');
    expect(t.nameAt(19, 'class')).toBe('cattle');
    expect(t.nameAt(19, 'superclass')).toBe('large_omnivores_and_herbivores');
    expect(t.nameAt(99, 'class')).toBe('worm');
    const coarse = cifar100CoarseOfFine();
    expect(coarse[0]).toBe(4); // apple → fruit_and_vegetables
    const counts = new Array(20).fill(0);
    for (const c of coarse) counts[c]++;
    expect(counts).toEqual(new Array(20).fill(5));
  });
});
