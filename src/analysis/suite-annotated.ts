/**
 * The analyses of the table (suite.ts) that read the seeds' per-row annotations: intra-class variation between two
 * variants, trait order on PC1, attribute separation. Each runs on the rows `annotations.scope` names, per group
 * when a group column is given. docs/analysis.md lists their settings.
 */
import type { Embeddings } from '../io/embeddings.ts';
import { CladeError } from '../util/errors.ts';
import { attributeSeparation } from './attribute-separation.ts';
import { traitOrderByGroup, variantsByGroup } from './group-analyses.ts';
import { timed, type LabelledSplit, type RowAnnotations, type SuiteEntry } from './suite-entry.ts';

/** The rows the seeds' analyses run on (`annotations.scope`), with their labels and annotations. */
function annotatedRows<K extends 'variant' | 'trait' | 'attribute'>(
  s: LabelledSplit,
  need: K,
  option: string,
) {
  const a = s.annotations;
  const col = a?.[need] as NonNullable<RowAnnotations[K]> | undefined;
  if (!a || !col) throw new CladeError(`this analysis needs a ${need} column`, { option });
  const all = a.scope === 'all';
  const n = all ? s.train.n + s.test.n : s.test.n;
  for (const k of ['variant', 'group', 'trait', 'attribute'] as const)
    if (a[k] && a[k].length !== n)
      throw new CladeError(`expected ${n} ${k} values (${a.scope} rows), got ${a[k].length}`);
  const x: Embeddings = all ? { data: concat(s.train.data, s.test.data), n, d: s.test.d } : s.test;
  const labels = all ? Int32Array.from([...s.trainLabels, ...s.testLabels]) : s.testLabels;
  return { x, labels, col, group: a.group, split: all ? 'all rows (train + test)' : 'test' };
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;

/** The annotation-reading analyses by name, in the order they run (after the label-based ones). */
export const ANNOTATED_ANALYSES = {
  variants: {
    title:
      "intra-class variation (--variant-col, --variants a,b): orthogonality ratio ρ and angle, Fisher ratio, baseline r/D (clade's, §B.3)",
    needs: 'variant',
    run: async (s, o) => {
      const { x, labels, col, group, split } = annotatedRows(s, 'variant', '--variant-col');
      const pair = o.settings.variants;
      if (!pair) throw new CladeError('name the two variants to compare', { option: '--variants' });
      const [out, t] = await timed(() => variantsByGroup(x, labels, col, pair, group));
      const names = (c: number) => s.classNames?.[c] ?? String(c);
      return {
        kind: 'orthogonality',
        name: `intra-class variation ${pair[0]} vs ${pair[1]} (clade-defined)`,
        params: {
          variants: [...pair],
          groups: out.groups,
          skippedGroups: out.skipped,
          fisherAxis: 'orthogonal (δ⊥)',
          split,
          note: "clade's own operationalisation (docs/methods.md §B); aggregates are unweighted means over classes, then groups",
        },
        timings: { total: t },
        metrics: {
          meanRatio: out.meanRatio,
          meanAngleDeg: out.meanAngleDeg,
          meanFisher: out.meanFisher,
          meanFisherTrace: out.meanFisherTrace,
          randomBaseline: out.randomBaseline,
          classes: out.perClass.length,
        },
        series: {
          orthogonality: {
            class: out.perClass.map((c) => names(c.cls)),
            ratio: out.perClass.map((c) => c.ratio),
            angle: out.perClass.map((c) => c.angleDeg),
            baseline: out.randomBaseline,
          },
        },
      };
    },
  },
  'trait-order': {
    title:
      "trait order (--trait-col): Spearman ρ / Kendall τ-b of class means on PC1 against the trait (clade's, §B.3)",
    needs: 'trait',
    run: async (s, o) => {
      void o;
      const { x, labels, col, group, split } = annotatedRows(s, 'trait', '--trait-col');
      const [out, t] = await timed(() => traitOrderByGroup(x, labels, col, group));
      const names = (c: number) => s.classNames?.[c] ?? String(c);
      const one = out.runs.length === 1 ? out.runs[0] : null;
      return {
        kind: 'trait-order',
        name: 'trait-order correlation (clade-defined)',
        params: {
          groups: out.runs.map((r) => r.group),
          skippedGroups: out.skipped,
          orientation: 'PC1 oriented so that Spearman ρ ≥ 0',
          ...(one ? { classes: one.classes.map(names), traitByClass: one.trait } : {}),
          classValue: 'mean of the rows’ trait values',
          split,
          note: "clade's own operationalisation (docs/methods.md §B item 5)",
        },
        timings: { total: t },
        metrics: {
          spearman: mean(out.runs.map((r) => r.spearman)),
          kendall: mean(out.runs.map((r) => r.kendall)),
          classes: out.runs.reduce((a, r) => a + r.classes.length, 0),
        },
        series: one
          ? {
              traitOrder: {
                x: one.trait,
                y: Array.from(one.positions),
                xTitle: 'trait value (class mean)',
                yTitle: 'class mean on PC1 (oriented)',
                title: `Trait order: class means on PC1 (Spearman ${one.spearman.toFixed(2)})`,
                mark: 'point' as const,
              },
            }
          : {
              traitOrder: {
                x: out.runs.map((r) => r.group),
                y: out.runs.map((r) => r.spearman),
                xTitle: 'group',
                yTitle: 'Spearman ρ (PC1 vs trait)',
                title: 'Trait order per group',
                mark: 'bar' as const,
              },
            },
      };
    },
  },
  attribute: {
    title:
      "attribute separation (--attribute-col, e.g. habitat) between and within classes, permutation baseline (clade's)",
    needs: 'attribute',
    run: async (s, o) => {
      const { x, labels, col, split } = annotatedRows(s, 'attribute', '--attribute-col');
      const A = o.settings.attribute;
      const [r, t] = await timed(() => attributeSeparation(x, labels, col, { ...A, seed: o.seed }));
      const m: Record<string, number> = { values: r.values.length };
      if (r.between)
        Object.assign(m, {
          between_ratio: r.between.ratio,
          between_baseline: r.between.baseline,
          between_p: r.between.p,
          between_classes: r.between.classes,
          mixedClasses: r.between.mixedClasses,
        });
      if (r.within)
        Object.assign(m, {
          within_ratio: r.within.ratio,
          within_baseline: r.within.baseline,
          within_p: r.within.p,
          within_classes: r.within.classes,
        });
      const bars: [string, number][] = [];
      if (r.between)
        bars.push(['between classes', r.between.ratio], ['between, permuted', r.between.baseline]);
      if (r.within) bars.push(['within classes', r.within.ratio], ['within, permuted', r.within.baseline]);
      return {
        kind: 'attribute-separation',
        name: 'attribute separation (clade-defined)',
        params: {
          ...A,
          values: r.values,
          distance: '1 − cos on L2-normalised embeddings',
          betweenSkipped: r.between ? null : 'needs ≥ 2 values and a value shared by ≥ 2 classes',
          withinSkipped: r.within ? null : 'no class holds ≥ 2 values with ≥ 2 rows each',
          split,
          note: "clade's own operationalisation of BioCLIP 2's ecological alignment (docs/methods.md §B)",
        },
        timings: { total: t },
        metrics: m,
        series: {
          attributeSeparation: {
            x: bars.map((b) => b[0]),
            y: bars.map((b) => b[1]),
            xTitle: 'distance ratio (different ÷ same value)',
            yTitle: 'ratio (1 = no separation)',
            title: 'Attribute separation between and within classes',
            mark: 'bar' as const,
          },
        },
      };
    },
  },
} satisfies Record<string, SuiteEntry>;
