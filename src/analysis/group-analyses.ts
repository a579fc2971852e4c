/**
 * The seeds' analyses run per group of related classes (BioCLIP 2 measures intra-species variation a few species at
 * a time, e.g. per genus): intra-class variation orthogonality and trait order, each over the rows of one group.
 * Used by the analysis table (`suite.ts`) and the demo.
 */
import { takeRows, type Embeddings } from '../io/embeddings.ts';
import { CladeError } from '../util/errors.ts';
import { variantAnalysis } from './orthogonality.ts';
import { traitOrderCorrelation } from './trait-order.ts';

const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;

/** Row indices per group (rows whose group is null are left out); one group of every row when `group` is absent. */
function groupsOf(n: number, group: readonly (string | null)[] | undefined): [string, number[]][] {
  if (!group) return [['all', Array.from({ length: n }, (_, i) => i)]];
  const m = new Map<string, number[]>();
  group.forEach((g, i) => {
    if (g === null) return;
    const rows = m.get(g);
    if (rows) rows.push(i);
    else m.set(g, [i]);
  });
  return [...m];
}

/** Dense 0..K'-1 labels of a row subset, in class-id order (`classOf[k]` is the original class of `k`). */
function subsetLabels(labels: Int32Array, rows: number[]): { y: Int32Array; classOf: number[] } {
  const classOf = [...new Set(rows.map((i) => labels[i]))].sort((a, b) => a - b);
  const id = new Map(classOf.map((c, k) => [c, k]));
  return { y: Int32Array.from(rows, (i) => id.get(labels[i])!), classOf };
}

/**
 * `variantAnalysis` per group (every row when there is no group): groups where no class has two samples of both
 * variants are skipped and named; aggregates are the means over groups of the per-group means.
 */
export function variantsByGroup(
  x: Embeddings,
  labels: Int32Array,
  variant: readonly (string | null)[],
  pair: readonly [string, string],
  group?: readonly (string | null)[],
) {
  const runs: (ReturnType<typeof variantAnalysis> & { group: string; classOf: number[] })[] = [];
  const skipped: string[] = [];
  for (const [g, rows] of groupsOf(x.n, group)) {
    const { y, classOf } = subsetLabels(labels, rows);
    if (classOf.length < 2) {
      skipped.push(`${g}: one class`);
      continue;
    }
    try {
      const v = variantAnalysis(
        takeRows(x, rows),
        y,
        rows.map((i) => variant[i]),
        pair[0],
        pair[1],
      );
      runs.push({ ...v, group: g, classOf });
    } catch (e) {
      if (!(e instanceof CladeError)) throw e;
      skipped.push(`${g}: ${e.message}`);
    }
  }
  if (!runs.length)
    throw new CladeError(
      `no ${group ? 'group has a class' : 'class has'} at least 2 samples of both variants '${pair[0]}' and '${pair[1]}'` +
        (skipped.length ? ` (${skipped.slice(0, 3).join('; ')})` : ''),
      { option: '--variants' },
    );
  const avg = (f: (v: (typeof runs)[number]) => number) => mean(runs.map(f));
  return {
    meanRatio: avg((v) => v.meanRatio),
    meanAngleDeg: avg((v) => v.meanAngleDeg),
    meanFisher: avg((v) => v.meanFisher),
    meanFisherTrace: avg((v) => v.meanFisherTrace),
    randomBaseline: avg((v) => v.randomBaseline),
    perClass: runs.flatMap((v) => v.perClass.map((c) => ({ ...c, cls: v.classOf[c.cls] }))),
    groups: runs.map((v) => v.group),
    skipped,
  };
}

/**
 * `traitOrderCorrelation` per group (every row when there is no group), a class's trait being the mean of its rows'
 * finite values; groups with fewer than 3 classes carrying a trait are skipped and named.
 */
export function traitOrderByGroup(
  x: Embeddings,
  labels: Int32Array,
  trait: readonly (number | null)[],
  group?: readonly (string | null)[],
) {
  const runs: {
    group: string;
    spearman: number;
    kendall: number;
    positions: Float64Array;
    classes: number[];
    trait: number[];
  }[] = [];
  const skipped: string[] = [];
  for (const [g, rows] of groupsOf(x.n, group)) {
    const { y, classOf } = subsetLabels(labels, rows);
    const sum = new Float64Array(classOf.length);
    const cnt = new Float64Array(classOf.length);
    rows.forEach((i, k) => {
      const v = trait[i];
      if (v !== null && Number.isFinite(v)) {
        sum[y[k]] += v;
        cnt[y[k]]++;
      }
    });
    const perClass = Array.from(sum, (v, c) => (cnt[c] ? v / cnt[c] : NaN));
    try {
      const r = traitOrderCorrelation(takeRows(x, rows), y, perClass);
      runs.push({
        group: g,
        spearman: r.spearman,
        kendall: r.kendall,
        positions: r.positions,
        classes: r.classes.map((c) => classOf[c]),
        trait: r.classes.map((c) => perClass[c]),
      });
    } catch (e) {
      if (!(e instanceof CladeError)) throw e;
      skipped.push(`${g}: ${e.message}`);
    }
  }
  if (!runs.length)
    throw new CladeError(
      `trait-order correlation needs at least 3 classes with a trait value${group ? ' in some group' : ''}` +
        (skipped.length ? ` (${skipped.slice(0, 3).join('; ')})` : ''),
      { option: '--trait-col' },
    );
  return { runs, skipped };
}
