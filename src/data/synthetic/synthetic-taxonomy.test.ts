import { describe, expect, test } from 'vitest';
import { Rng } from '../../util/rng.ts';
import { TEXT_TYPES, taxonText } from '../taxonomy/text-types.ts';
import { syntheticTaxonomy, SYNTHETIC_TABULAR_FEATURES } from './synthetic-taxonomy.ts';
import { BEAK_RGB, CREST_RGB, renderOrganism, type Nuisance } from './render.ts';
import type { Image } from '../types.ts';

const still: Nuisance = { dx: 0, dy: 0, angle: 0, scale: 1, light: 0, noise: 0 };
const px = (img: Image, i: number) => [img.data[3 * i], img.data[3 * i + 1], img.data[3 * i + 2]];
const eq = (a: number[], b: readonly number[]) => a.every((v, i) => v === b[i]);
const beakPixels = (img: Image) => {
  let n = 0;
  for (let i = 0; i < img.width * img.height; i++) if (eq(px(img, i), BEAK_RGB)) n++;
  return n;
};

describe('synthetic-taxonomy', () => {
  const ds = syntheticTaxonomy({ seed: 3, perSpecies: 10 });

  test('tree: 3 kingdoms → 6 orders → 15 genera → 60 species, unique names, 4 ranks', () => {
    const t = ds.taxonomy;
    expect(t.ranks).toEqual(['kingdom', 'order', 'genus', 'species']);
    expect(t.size).toBe(60);
    expect(t.cladesAt('kingdom')).toHaveLength(3);
    expect(t.cladesAt('order')).toHaveLength(6);
    expect(t.cladesAt('genus')).toHaveLength(15);
    expect(new Set(ds.classNames).size).toBe(60);
    expect(new Set(ds.commonNames).size).toBe(60);
    expect(ds.length).toBe(600);
    for (const s of ds.species) expect(s.scientific).toMatch(/^[A-Z][a-z]+ [a-z]+$/);
  });

  test('custom tree shapes; invalid options name the field', () => {
    const small = syntheticTaxonomy({
      perSpecies: 2,
      tree: { kingdoms: 4, ordersPerKingdom: [1], generaPerOrder: [2], speciesPerGenus: [2] },
    });
    expect(small.taxonomy.size).toBe(16);
    expect(small.taxonomy.cladesAt('kingdom')).toHaveLength(4);
    expect(small.length).toBe(32);
    expect(() =>
      syntheticTaxonomy({
        tree: { kingdoms: 0, ordersPerKingdom: [1], generaPerOrder: [1], speciesPerGenus: [1] },
      }),
    ).toThrow(/field tree.kingdoms/);
    expect(() => syntheticTaxonomy({ perSpecies: 0 })).toThrow(/field perSpecies/);
    expect(() => ds.get(600)).toThrow(/record 600: index 600 out of range/);
  });

  test('deterministic in seed and independent of access order; other seeds differ', () => {
    const again = syntheticTaxonomy({ seed: 3, perSpecies: 10 });
    const a = ds.get(123);
    ds.get(5);
    const b = again.get(123);
    expect(Buffer.from(a.image!.data).equals(Buffer.from(b.image!.data))).toBe(true);
    expect(a.traits).toEqual(b.traits);
    expect(a.variants).toEqual(b.variants);
    expect(Array.from(a.tabular!)).toEqual(Array.from(b.tabular!));
    const other = syntheticTaxonomy({ seed: 4, perSpecies: 10 });
    expect(other.classNames).not.toEqual(ds.classNames);
    const test = syntheticTaxonomy({ seed: 3, perSpecies: 10, split: 'test' });
    expect(test.get(123).label).toBe(a.label);
    expect(Buffer.from(test.get(123).image!.data).equals(Buffer.from(a.image!.data))).toBe(false);
  });

  test('samples carry label, lineage, the five captions, variants, trait, habitat, tabular', () => {
    const s = ds.get(61);
    expect(s.label).toBe(1);
    expect(s.image).toMatchObject({ width: 32, height: 32, channels: 3 });
    expect(s.lineage).toEqual(ds.taxonomy.lineage(1));
    const sp = ds.species[1];
    expect(s.captions).toEqual(
      TEXT_TYPES.map((t) => taxonText(sp.lineage, sp.common, t, { scientific: sp.scientific })),
    );
    expect(s.captions![1]).toBe(`a photo of ${sp.scientific}.`);
    expect(s.captions![3]).toBe(`a photo of ${sp.scientific} with common name ${sp.common}.`);
    expect(['adult', 'juvenile']).toContain(s.variants!.stage);
    expect(['female', 'male']).toContain(s.variants!.sex);
    expect(s.attributes!.habitat).toBe(sp.habitat);
    expect(s.tabular).toHaveLength(SYNTHETIC_TABULAR_FEATURES.length);
    expect(syntheticTaxonomy({ seed: 3, perSpecies: 1, size: 48 }).get(0).image!.width).toBe(48);
  });

  test('stage: juvenile = smaller and paler body, same species and pose', () => {
    for (const sp of ds.species.slice(0, 12)) {
      const rng = new Rng(1);
      const adult = renderOrganism(sp, { stage: 'adult', sex: 'female' }, 0.5, still, rng);
      const juv = renderOrganism(sp, { stage: 'juvenile', sex: 'female' }, 0.5, still, rng);
      const bg = renderOrganism(
        { ...sp, aspect: 1e-6 } as typeof sp,
        { stage: 'adult', sex: 'female' },
        0,
        still,
        rng,
      );
      let areaA = 0,
        areaJ = 0,
        satA = 0,
        satJ = 0;
      for (let i = 0; i < 1024; i++) {
        const [a, j, b] = [px(adult, i), px(juv, i), px(bg, i)];
        if (!eq(a, b) && !eq(a, BEAK_RGB)) (areaA++, (satA += Math.max(...a) - Math.min(...a)));
        if (!eq(j, b) && !eq(j, BEAK_RGB)) (areaJ++, (satJ += Math.max(...j) - Math.min(...j)));
      }
      expect(areaJ).toBeLessThan(0.7 * areaA);
      expect(satJ / areaJ).toBeLessThan(0.75 * (satA / areaA));
    }
  });

  test('sex: male adds the fixed-colour crest above the body and changes nothing else', () => {
    for (const sp of ds.species.slice(20, 30)) {
      const f = renderOrganism(sp, { stage: 'adult', sex: 'female' }, 0.5, still, new Rng(1));
      const m = renderOrganism(sp, { stage: 'adult', sex: 'male' }, 0.5, still, new Rng(1));
      let changed = 0;
      for (let i = 0; i < 1024; i++) {
        if (eq(px(f, i), px(m, i))) continue;
        changed++;
        expect(px(m, i)).toEqual([...CREST_RGB]);
        expect(Math.floor(i / 32)).toBeLessThan(16); // above the body centre (row 16.6)
      }
      expect(changed).toBeGreaterThan(3);
    }
  });

  test('habitat: changes only the background, the organism stays the same', () => {
    const sp = ds.species[4];
    const imgs = (['aquatic', 'terrestrial', 'arboreal'] as const).map((habitat) =>
      renderOrganism({ ...sp, habitat }, { stage: 'adult', sex: 'female' }, 0.5, still, new Rng(0)),
    );
    let same = 0;
    for (let i = 0; i < 1024; i++) {
      const [a, t, r] = imgs.map((im) => px(im, i));
      if (eq(a, t) && eq(t, r)) same++;
    }
    expect(same).toBeGreaterThan(150); // the organism (body, beak) is drawn identically in every habitat
    expect(1024 - same).toBeGreaterThan(500); // most of the background differs
  });

  test('beak trait: means increase within each genus, rendered beak grows monotonically', () => {
    for (const sp of ds.species) {
      const next = ds.species[sp.label + 1];
      if (next && next.genus === sp.genus) expect(next.beakMean).toBeGreaterThan(sp.beakMean);
    }
    const sp = ds.species[7];
    const counts = [0, 0.2, 0.4, 0.6, 0.8, 1].map((b) =>
      beakPixels(renderOrganism(sp, { stage: 'adult', sex: 'female' }, b, still, new Rng(0))),
    );
    for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeGreaterThanOrEqual(counts[i - 1]);
    expect(counts[5]).toBeGreaterThan(2 * counts[0]);
    // Sampled traits: the per-species mean order matches the documented order, and the tabular beak length tracks it.
    const big = syntheticTaxonomy({ seed: 3, perSpecies: 20 });
    const mean = new Float64Array(60);
    const xs: number[] = [],
      ys: number[] = [];
    for (let i = 0; i < big.length; i++) {
      const s = big.get(i);
      mean[s.label!] += s.traits!.beak / 20;
      xs.push(s.traits!.beak);
      ys.push(s.tabular![2]);
    }
    for (const s of big.species)
      if (s.rankInGenus > 0) expect(mean[s.label]).toBeGreaterThan(mean[s.label - 1]);
    expect(corr(xs, ys)).toBeGreaterThan(0.95);
  });

  test('variants are balanced within species and independent of it; habitat cuts across genera', () => {
    const big = syntheticTaxonomy({ seed: 3, perSpecies: 40 });
    const juv = new Float64Array(60);
    for (let i = 0; i < big.length; i++)
      if (big.get(i).variants!.stage === 'juvenile') juv[big.get(i).label!]++;
    for (const c of juv) (expect(c).toBeGreaterThan(5), expect(c).toBeLessThan(35));
    const byGenus = new Map<number, Set<string>>();
    for (const s of big.species) byGenus.set(s.genus, (byGenus.get(s.genus) ?? new Set()).add(s.habitat));
    for (const hs of byGenus.values()) expect(hs.size).toBeGreaterThanOrEqual(2);
  });

  test('hierarchical signature: class means are closer the more ranks two species share; species are learnable', () => {
    const tr = syntheticTaxonomy({ seed: 0, perSpecies: 24 });
    const te = syntheticTaxonomy({ seed: 0, perSpecies: 8, split: 'test' });
    const D = 8 * 8 * 3;
    const mu = Array.from({ length: 60 }, () => new Float64Array(D));
    for (let i = 0; i < tr.length; i++) {
      const s = tr.get(i);
      const f = pool(s.image!);
      for (let d = 0; d < D; d++) mu[s.label!][d] += f[d] / 24;
    }
    const groups: Record<string, number[]> = { genus: [], order: [], kingdom: [], none: [] };
    const sp = tr.species;
    for (let a = 0; a < 60; a++)
      for (let b = a + 1; b < 60; b++) {
        const key =
          sp[a].genus === sp[b].genus
            ? 'genus'
            : sp[a].order === sp[b].order
              ? 'order'
              : sp[a].kingdom === sp[b].kingdom
                ? 'kingdom'
                : 'none';
        groups[key].push(dist(mu[a], mu[b]));
      }
    const m = Object.fromEntries(
      Object.entries(groups).map(([k, v]) => [k, v.reduce((x, y) => x + y) / v.length]),
    );
    expect(m.genus).toBeLessThan(m.order);
    expect(m.order).toBeLessThan(m.kingdom);
    expect(m.kingdom).toBeLessThan(m.none);
    // Nearest class mean on 8x8-pooled pixels, held-out split: far above chance (1/60).
    let ok = 0;
    for (let i = 0; i < te.length; i++) {
      const s = te.get(i);
      const f = pool(s.image!);
      let best = 0;
      for (let k = 1; k < 60; k++) if (dist(mu[k], f) < dist(mu[best], f)) best = k;
      if (best === s.label) ok++;
    }
    expect(ok / te.length).toBeGreaterThan(0.3);
  });
});

function pool(img: Image): Float64Array {
  const o = new Float64Array(8 * 8 * 3);
  for (let y = 0; y < 32; y++)
    for (let x = 0; x < 32; x++)
      for (let c = 0; c < 3; c++)
        o[((y >> 2) * 8 + (x >> 2)) * 3 + c] += img.data[(y * 32 + x) * 3 + c] / (16 * 255);
  return o;
}
function dist(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}
function corr(x: number[], y: number[]): number {
  const mx = x.reduce((a, b) => a + b) / x.length,
    my = y.reduce((a, b) => a + b) / y.length;
  let sxy = 0,
    sxx = 0,
    syy = 0;
  for (let i = 0; i < x.length; i++)
    ((sxy += (x[i] - mx) * (y[i] - my)), (sxx += (x[i] - mx) ** 2), (syy += (y[i] - my) ** 2));
  return sxy / Math.sqrt(sxx * syy);
}
