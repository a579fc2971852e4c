import { join } from 'node:path';
import { loadConfig } from '../../config/preset.ts';
import { splitOverrides } from '../../config/overrides.ts';
import { resolveConfig } from '../../train/resolve-config.ts';
import { runDemo } from '../../workflows/demo.ts';
import { parseArgs } from '../args.ts';
import { checkOutputDir } from '../../io/output-path.ts';

const HELP = `clade demo [--out DIR] [--steps N] [--seed S] [--train.key=value …] [--recipeConfig.key=value …]

Trains a small CLIP-style model with taxonomic text supervision on the built-in synthetic-taxonomy dataset
(the 'demo' preset: see 'clade presets'), exports it to ONNX, runs zero-shot by rank, kNN, linear probe,
RLD/CH, class homogeneity, intra-class orthogonality, trait order and radial metrics, and writes
runs/demo-<time>/ with config.json, model/, result JSON files, report.html and explorer/ (clade explore).`;

export async function run(argv: string[]): Promise<number> {
  const { rest, overrides } = splitOverrides(argv);
  const a = parseArgs(rest, { steps: 'number', seed: 'number', out: 'string', help: 'boolean' });
  if (a.help) {
    console.log(HELP);
    return 0;
  }
  const { raw, file } = loadConfig('demo');
  const shorthand = [
    ...(a.steps !== undefined
      ? [
          `--train.steps=${a.steps}`,
          `--train.warmup=${Math.round((a.steps as number) / 10)}`,
          `--train.checkpointEvery=${Math.max(1, Math.round((a.steps as number) / 2))}`,
        ]
      : []),
    ...(a.seed !== undefined ? [`--train.seed=${a.seed}`, `--recipeConfig.seed=${a.seed}`] : []),
  ];
  const config = resolveConfig(raw, {
    file,
    overrides: [...splitOverrides(shorthand).overrides, ...overrides],
  });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const outDir = (a.out as string | undefined) ?? join('runs', `demo-${stamp}`);
  checkOutputDir(outDir, 'the run directory');
  const t0 = performance.now();
  const r = await runDemo({ outDir, config, log: (l) => console.log(l) });
  console.log(`\n${r.summary}`);
  console.log(
    `\ntraining ${r.stepsPerSecond.toFixed(1)} steps/s; total ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
  console.log(`report: ${r.report}`);
  console.log(`explorer: ${join(r.explorer, 'index.html')}`);
  return 0;
}
