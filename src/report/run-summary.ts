/**
 * What a report says about the training run it comes from, read from the run directory `clade train` / `clade
 * demo` leave: the recipe and its description (config.json), the loss and learning-rate curves (metrics.jsonl),
 * the model's parameter count (model/weights.safetensors) and the wall time of training.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { readJsonLines } from '../io/jsonl.ts';
import { readSafetensors } from '../io/safetensors.ts';
import { formatTime } from '../util/progress.ts';
import { esc } from './html-parts.ts';
import { H, W, type LabelledResult, type PlotSpec } from './plot-common.ts';

export interface RunSummary {
  readonly dir: string;
  readonly recipe: string;
  readonly description: string;
  /** Steps the config asks for, and the last step in metrics.jsonl. */
  readonly steps: number;
  readonly lastStep: number;
  /** Elements of every tensor in model/weights.safetensors; null without a model directory. */
  readonly parameters: number | null;
  /** Seconds from config.json (written at the start) to the last metrics line; includes pauses before a resume. */
  readonly wallSeconds: number;
  readonly curve: { readonly step: number[]; readonly loss: number[]; readonly lr: number[] };
}

/** True when `dir` is a run directory (config.json and metrics.jsonl). */
export const isRunDir = (dir: string): boolean =>
  existsSync(join(dir, 'config.json')) && existsSync(join(dir, 'metrics.jsonl'));

/**
 * Read a run directory's summary; null when `dir` is not one.
 *
 * @example
 * const run = readRunSummary('runs/demo-2026-01-01'); // { recipe: 'clip-taxonomy', steps: 300, ... }
 */
export function readRunSummary(dir: string): RunSummary | null {
  if (!isRunDir(dir)) return null;
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as {
    recipe?: string;
    description?: string;
    train?: { steps?: number };
  };
  const lines = readJsonLines<{ step: number; loss: number | null; lr: number }>(join(dir, 'metrics.jsonl'));
  const weights = join(dir, 'model', 'weights.safetensors');
  let parameters: number | null = null;
  if (existsSync(weights)) {
    parameters = 0;
    for (const t of readSafetensors(weights).values()) parameters += t.shape.reduce((a, b) => a * b, 1);
  }
  const wallSeconds =
    (statSync(join(dir, 'metrics.jsonl')).mtimeMs - statSync(join(dir, 'config.json')).mtimeMs) / 1000;
  return {
    dir,
    recipe: config.recipe ?? '?',
    description: config.description ?? '',
    steps: config.train?.steps ?? lines.length,
    lastStep: lines.length ? lines[lines.length - 1].step : 0,
    parameters,
    wallSeconds: Math.max(0, wallSeconds),
    curve: {
      step: lines.map((l) => l.step),
      loss: lines.map((l) => (typeof l.loss === 'number' ? l.loss : NaN)),
      lr: lines.map((l) => l.lr),
    },
  };
}

const curveSpec = (rows: Record<string, number>[], y: string, title: string): TopLevelSpec =>
  ({
    width: W,
    height: H,
    data: { values: rows },
    mark: { type: 'line', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: { field: y, type: 'quantitative', title, scale: { zero: false } },
    },
  }) as TopLevelSpec;

/**
 * The training-loss and learning-rate curves of a run (ids `training-loss`, `learning-rate`).
 *
 * @example
 * const plots = trainingPlots(readRunSummary('runs/x')!);
 */
export function trainingPlots(run: RunSummary): PlotSpec[] {
  const c = run.curve;
  const rows = c.step.map((step, i) => ({ step, loss: c.loss[i], lr: c.lr[i] }));
  const finite = rows.filter((r) => Number.isFinite(r.loss));
  if (!rows.length) return [];
  return [
    {
      id: 'training-loss',
      title: 'Training loss',
      caption: `The recipe's loss at each optimizer step (metrics.jsonl of ${run.dir}).`,
      spec: curveSpec(finite, 'loss', 'loss'),
    },
    {
      id: 'learning-rate',
      title: 'Learning rate',
      caption: 'The schedule the run used: linear warm-up, then cosine decay.',
      spec: curveSpec(rows, 'lr', 'learning rate'),
    },
  ];
}

function count(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : String(n);
}

/**
 * The headline block: what was trained, how long, how big, and the key accuracies beside chance.
 *
 * @example
 * headlineHtml(run, labelled); // '<section id="headline">…'
 */
export function headlineHtml(run: RunSummary | null, results: readonly LabelledResult[]): string {
  const facts: string[] = [];
  if (run) {
    facts.push(`<strong>${esc(run.recipe)}</strong>${run.description ? ` — ${esc(run.description)}` : ''}`);
    facts.push(
      `trained ${run.lastStep.toLocaleString('en')}${run.lastStep !== run.steps ? ` of ${run.steps.toLocaleString('en')}` : ''} steps in ${esc(formatTime(run.wallSeconds))} (wall time)` +
        (run.parameters !== null ? ` · ${esc(count(run.parameters))} parameters` : ''),
    );
    const finite = run.curve.loss.filter(Number.isFinite);
    if (finite.length) facts.push(`loss ${finite[0].toFixed(3)} → ${finite[finite.length - 1].toFixed(3)}`);
  }
  const key: string[] = [];
  for (const { label, result } of results) {
    const s = result.series?.rankAccuracy;
    if (!s || !s.rank.length) continue;
    const last = s.rank.length - 1;
    for (const [method, acc] of Object.entries(s.accuracy)) {
      const a = acc[last];
      if (a === null) continue;
      const ch = s.chance?.[last];
      key.push(
        `<li>${esc(method)} at ${esc(s.rank[last])}: <strong>${a.toFixed(3)}</strong>` +
          `${ch !== undefined && ch !== null ? ` <span class="chance">(chance ${ch.toFixed(3)})</span>` : ''}` +
          ` <span class="meta">${esc(label)}</span></li>`,
      );
    }
  }
  if (!facts.length && !key.length) return '';
  return `<section id="headline"><h2>Headline</h2>
${facts.map((f) => `<p>${f}</p>`).join('\n')}
${key.length ? `<ul class="key-numbers">${key.join('')}</ul>` : ''}
</section>`;
}
