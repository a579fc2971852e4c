/**
 * `clade predict`: what pybioclip's `bioclip predict` does (docs/methods.md §A.7), for any CLIP model and any label set.
 * Per image: zero-shot probabilities softmax(s·cos) over the classes (custom labels, or the species of a taxonomy
 * table), top-k at the requested rank with species probabilities summed up the tree, and optionally the deepest rank
 * whose probability reaches a threshold (abstention).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import {
  abstain,
  aggregateByRank,
  applyFilter,
  RANKS,
  rankIndex,
  type Lineage,
  type Rank,
} from '../analysis/rank-aggregation.ts';
import { zeroShot } from '../analysis/zero-shot.ts';
import {
  BIOCLIP_TEMPLATES,
  OPENAI_IMAGENET_TEMPLATES,
  SIMPLE_IMAGENET_TEMPLATES,
  type TemplateSet,
} from '../data/taxonomy/templates.ts';
import { isTextType, taxonContent, TEXT_TYPES, type TextType } from '../data/taxonomy/text-types.ts';
import type { Image } from '../data/types.ts';
import { csvField } from '../io/csv.ts';
import { column, readMetaTable } from '../io/metadata.ts';
import { CladeError } from '../util/errors.ts';
import { classTextEmbeddings } from './class-text-cache.ts';
import { preprocessImages, type OpenedModel } from './open-model.ts';

/** The classes to predict: custom labels, or the species (rows) of a taxonomy table with their lineages. */
export interface LabelSet {
  readonly mode: 'cls' | 'taxonomy';
  /** What is embedded for each class (before templates). */
  readonly classTexts: readonly string[];
  /** Display name of each class (custom label, or binomial / most specific name). */
  readonly names: readonly string[];
  /** Taxonomy: lineages over the seven ranks (species = epithet), and common names. */
  readonly lineages?: readonly Lineage[];
  readonly common?: readonly (string | null)[];
}

/**
 * Custom labels: a file with one label per line, or a comma-separated list.
 *
 * @example
 * customLabels('cat,dog').names; // ['cat', 'dog']
 */
export function customLabels(arg: string): LabelSet {
  const names = (
    existsSync(arg) && statSync(arg).isFile() ? readFileSync(arg, 'utf8').split(/\r?\n/) : arg.split(',')
  )
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length < 2)
    throw new CladeError(`--cls needs at least two labels, got ${names.length}`, { file: arg });
  return { mode: 'cls', classTexts: names, names };
}

/**
 * A taxonomy table (CSV/TSV/Parquet): one row per class, columns named after ranks (any of kingdom … species,
 * coarsest first; a species cell may be the epithet or the binomial) and optionally `common` / `common_name`. The
 * class text is the text type `textType` (default `taxon_com`, pybioclip's tree-of-life label text: the ranks
 * joined by spaces, then `with common name {common}` when there is one).
 *
 * @example
 * const t = await taxonomyLabels('taxa.csv'); // t.lineages[0] = ['Animalia', …, 'Corvus', 'corax']
 */
export async function taxonomyLabels(file: string, textType: TextType = 'taxon_com'): Promise<LabelSet> {
  const t = await readMetaTable(file);
  const rankCols = RANKS.filter((r) => t.names.includes(r));
  if (!rankCols.length)
    throw new CladeError(`no rank columns: expected some of ${RANKS.join(', ')} (and optionally common)`, {
      file,
    });
  const commonCol = ['common', 'common_name'].find((c) => t.names.includes(c));
  const str = (v: unknown) =>
    v === null || v === undefined || String(v).trim() === '' ? null : String(v).trim();
  const cols = Object.fromEntries(rankCols.map((r) => [r, column(t, r)]));
  const commons = commonCol ? column(t, commonCol).map(str) : new Array<string | null>(t.length).fill(null);
  const lineages: Lineage[] = [];
  const names: string[] = [];
  const classTexts: string[] = [];
  for (let i = 0; i < t.length; i++) {
    const l = RANKS.map((r) => (cols[r] ? str(cols[r][i]) : null));
    const g = l[5];
    if (g && l[6]?.startsWith(`${g} `)) l[6] = l[6].slice(g.length + 1);
    if (l.every((x) => x === null)) throw new CladeError('row has no rank names', { file, row: i + 2 });
    lineages.push(l);
    names.push(g && l[6] ? `${g} ${l[6]}` : (l.filter((x) => x !== null).at(-1) as string));
    classTexts.push(
      taxonContent(l, commons[i] ?? undefined, textType, g && l[6] ? `${g} ${l[6]}` : undefined),
    );
  }
  return { mode: 'taxonomy', classTexts, names, lineages, common: commons };
}

/**
 * The subset mask over taxonomy classes: a clade name at any rank (or a binomial), or a CSV/TSV file whose first
 * column is named after a rank and lists the allowed names (pybioclip's `--subset`).
 *
 * @example
 * subsetMask(labels, 'Aves'); // 1 for every class in Aves
 */
export async function subsetMask(labels: LabelSet, subset: string): Promise<Uint8Array> {
  if (!labels.lineages) throw new CladeError('--subset needs --taxonomy');
  let rank: number | null = null;
  let allowed: Set<string>;
  if (existsSync(subset) && statSync(subset).isFile()) {
    const t = await readMetaTable(subset);
    const first = t.names[0];
    if (!(RANKS as readonly string[]).includes(first))
      throw new CladeError(
        `the first column must be named after a rank (${RANKS.join(', ')}), got '${first}'`,
        {
          file: subset,
        },
      );
    rank = rankIndex(first as Rank);
    allowed = new Set(
      column(t, first)
        .filter((v) => v !== null)
        .map(String),
    );
  } else allowed = new Set([subset]);
  const mask = Uint8Array.from(labels.lineages, (l, k) => {
    if (rank !== null) {
      const name = rank === 6 && l[5] && l[6] && allowed.has(`${l[5]} ${l[6]}`) ? `${l[5]} ${l[6]}` : l[rank];
      return name !== null && allowed.has(name) ? 1 : 0;
    }
    return l.some((n) => n !== null && allowed.has(n)) || allowed.has(labels.names[k]) ? 1 : 0;
  });
  if (!mask.some((v) => v)) throw new CladeError(`--subset ${subset} keeps no classes of the taxonomy`);
  return mask;
}

/**
 * Templates by name (`openai`: the 80 OpenAI ImageNet templates; `simple`: their 7-template subset; `bioclip`:
 * `a photo of {c}.`; `none`: the class text as is) or a file with one template per line (`{c}` marks the class).
 */
export function resolveTemplates(arg: string): TemplateSet {
  if (arg === 'openai') return OPENAI_IMAGENET_TEMPLATES;
  if (arg === 'simple') return SIMPLE_IMAGENET_TEMPLATES;
  if (arg === 'bioclip') return BIOCLIP_TEMPLATES;
  if (arg === 'none') return ['{c}'];
  if (!existsSync(arg))
    throw new CladeError(`--templates: expected openai, simple, bioclip, none or a file, got '${arg}'`);
  const lines = readFileSync(arg, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim().length > 0);
  const bad = lines.findIndex((l) => !/\{c?\}/.test(l));
  if (!lines.length || bad >= 0)
    throw new CladeError(lines.length ? 'template has no {c} placeholder' : 'no templates', {
      file: arg,
      line: bad + 1 || undefined,
    });
  return lines;
}

export interface Prediction {
  /** The class (custom label) or the name at the rank (binomial at species). */
  readonly label: string;
  /** Names from kingdom down to the rank (taxonomy mode). */
  readonly lineage?: readonly (string | null)[];
  readonly common?: string | null;
  readonly score: number;
}

export interface ImagePrediction {
  readonly file: string;
  readonly rank: string;
  readonly predictions: readonly Prediction[];
  /** With a threshold: the deepest rank whose top probability reaches it (null: not even kingdom does). */
  readonly abstain?: { rank: Rank; label: string; lineage: readonly (string | null)[]; score: number } | null;
}

export interface PredictOptions {
  /** Rank to report (taxonomy mode; default species). */
  readonly rank?: Rank;
  /** Top-k (default 5; custom labels: all). */
  readonly k?: number;
  readonly templates: TemplateSet;
  readonly subset?: Uint8Array;
  readonly abstain?: number;
  readonly onProgress?: (phase: 'classes' | 'images', done: number, total: number) => void;
}

const nameAt = (l: readonly (string | null)[], r: number): string =>
  r === 6 && l[5] && l[6] ? `${l[5]} ${l[6]}` : (l[r] ?? '');

/**
 * Predict every image.
 *
 * @example
 * const out = await predict(model, inputs, await taxonomyLabels('taxa.csv'), { templates: BIOCLIP_TEMPLATES, rank: 'genus' });
 */
export async function predict(
  model: OpenedModel,
  inputs: readonly { id: string; image: () => Promise<Image> }[],
  labels: LabelSet,
  o: PredictOptions,
): Promise<ImagePrediction[]> {
  if (labels.mode === 'cls' && (o.rank || o.abstain !== undefined || o.subset))
    throw new CladeError('--rank, --abstain and --subset need --taxonomy (custom labels have no ranks)');
  const all = await classTextEmbeddings(model, labels.classTexts, o.templates, (d, t) =>
    o.onProgress?.('classes', d, t),
  );
  const { W, columns } = o.subset
    ? applyFilter(all.W, o.subset)
    : { W: all.W, columns: Int32Array.from({ length: all.W.n }, (_, i) => i) };
  const lineages = labels.lineages ? Array.from(columns, (c) => labels.lineages![c]) : undefined;
  const r = rankIndex(o.rank ?? 'species');
  const k = o.k ?? (labels.mode === 'cls' ? W.n : 5);
  const out: ImagePrediction[] = [];
  const chunk = 64;
  for (let s = 0; s < inputs.length; s += chunk) {
    const part = inputs.slice(s, s + chunk);
    const imgs = await Promise.all(part.map((p) => p.image()));
    const x = await model.embedPixels(preprocessImages(model.preprocess, imgs), imgs.length);
    const P = zeroShot(x, W, { scale: model.scale });
    part.forEach((p, i) => {
      const probs = P.subarray(i * W.n, (i + 1) * W.n);
      if (!lineages) {
        const order = Array.from(probs.keys()).sort((a, b) => probs[b] - probs[a] || a - b);
        out.push({
          file: p.id,
          rank: 'class',
          predictions: order.slice(0, k).map((j) => ({ label: labels.names[columns[j]], score: probs[j] })),
        });
        return;
      }
      const preds = aggregateByRank(probs, lineages, r, { k }).map((g) => {
        const lead = lineages.findIndex((l) => l.slice(0, r + 1).every((v, q) => v === g.lineage[q]));
        return {
          label: nameAt(g.lineage, r),
          lineage: g.lineage,
          ...(r === 6 ? { common: labels.common?.[columns[lead]] ?? null } : {}),
          score: g.score,
        };
      });
      let ab: ImagePrediction['abstain'];
      if (o.abstain !== undefined) {
        const a = abstain(probs, lineages, o.abstain);
        ab = a && {
          rank: a.rank,
          label: nameAt(a.lineage, rankIndex(a.rank)),
          lineage: a.lineage,
          score: a.score,
        };
      }
      out.push({
        file: p.id,
        rank: RANKS[r],
        predictions: preds,
        ...(o.abstain !== undefined ? { abstain: ab } : {}),
      });
    });
    o.onProgress?.('images', Math.min(s + chunk, inputs.length), inputs.length);
  }
  return out;
}

/**
 * CSV: one row per (image, prediction). Custom labels: `file_name,classification,score`; taxonomy:
 * `file_name,<ranks down to the requested one>,[common_name],score`, plus `abstain_rank,abstain_label,abstain_score`
 * with a threshold.
 */
export function predictionsCsv(preds: readonly ImagePrediction[], labels: LabelSet): string {
  const rows: string[] = [];
  const first = preds[0];
  if (labels.mode === 'cls') {
    rows.push('file_name,classification,score');
    for (const p of preds)
      for (const q of p.predictions) rows.push([p.file, q.label, q.score].map(csvField).join(','));
    return rows.join('\n') + '\n';
  }
  const r = first ? rankIndex(first.rank as Rank) : 6;
  const ab = first?.abstain !== undefined;
  rows.push(
    [
      'file_name',
      ...RANKS.slice(0, r + 1),
      ...(r === 6 ? ['common_name'] : []),
      'score',
      ...(ab ? ['abstain_rank', 'abstain_label', 'abstain_score'] : []),
    ].join(','),
  );
  for (const p of preds)
    for (const q of p.predictions)
      rows.push(
        [
          p.file,
          ...RANKS.slice(0, r + 1).map((_, i) => (i === 6 ? nameAt(q.lineage!, 6) : q.lineage![i])),
          ...(r === 6 ? [q.common ?? ''] : []),
          q.score,
          ...(ab ? [p.abstain?.rank ?? '', p.abstain?.label ?? '', p.abstain?.score ?? ''] : []),
        ]
          .map((v) => csvField(v ?? ''))
          .join(','),
      );
  return rows.join('\n') + '\n';
}

export { TEXT_TYPES, isTextType };
