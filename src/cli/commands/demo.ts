import { join } from 'node:path';
import { runDemo } from '../workflows/demo.ts';
import { parseArgs } from '../args.ts';

const HELP = `clade demo [--steps N] [--seed S] [--out DIR] [--workers W]

Trains a small CLIP-style model with taxonomic text supervision on the built-in synthetic-taxonomy dataset,
exports it to ONNX, runs zero-shot by rank, kNN, linear probe, RLD/CH, class homogeneity, intra-class
orthogonality, trait order and radial metrics, and writes runs/demo-<time>/ with report.html.`;

export async function run(argv: string[]): Promise<number> {
  const a = parseArgs(argv, {
    steps: 'number',
    seed: 'number',
    out: 'string',
    workers: 'number',
    help: 'boolean',
  });
  if (a.help) {
    console.log(HELP);
    return 0;
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const outDir = (a.out as string | undefined) ?? join('runs', `demo-${stamp}`);
  const t0 = performance.now();
  const r = await runDemo({
    outDir,
    steps: (a.steps as number | undefined) ?? 300,
    seed: (a.seed as number | undefined) ?? 0,
    workers: (a.workers as number | undefined) ?? 1,
    log: (l) => console.log(l),
  });
  console.log(`\n${r.summary}`);
  console.log(
    `\ntraining ${r.stepsPerSecond.toFixed(1)} steps/s; total ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
  console.log(`report: ${r.report}`);
  return 0;
}
