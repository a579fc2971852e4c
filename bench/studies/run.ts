/**
 * `npm run study -- <name> [--short] [--out DIR] [--work DIR]`: runs one study of issue 16 through the clade CLI
 * and writes `<out>/<name>.json` (every number, the command, times, load, seeds, each CLI call), `<out>/<name>.md`
 * and `<out>/<name>-*.svg`. Default out: docs/studies (full) or runs/studies/<name>-short/page (--short).
 */
import { execSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { cpus, getPriority, loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { writeFileAtomic } from '../../src/util/atomic-write.ts';
import { Clade, REPO, round } from './lib/cli.ts';
import type { Study } from './lib/study.ts';

/** The studies by name, each loaded only when run. */
export const STUDIES: Record<string, { about: string; load: () => Promise<Study> }> = {
  rld: {
    about:
      'RLD / Calinski–Harabasz / class homogeneity / graph head: supervised vs SimCLR on CIFAR-100, over training',
    load: async () => (await import('./rld.ts')).rldStudy,
  },
  emergent: {
    about:
      "BioCLIP 2's intra-species variation vs data scale on synthetic-taxonomy (clade demo) and sex within species on penguins",
    load: async () => (await import('./emergent.ts')).emergentStudy,
  },
  taxonomy: {
    about: 'clip-taxonomy with five text types vs class names only vs flat supervised on CIFAR-100, by rank',
    load: async () => (await import('./taxonomy.ts')).taxonomyStudy,
  },
  clipin: {
    about: 'CLIPin (fixed and learnable λ) vs its CLIP base on CIFAR-100, mean ± std over seeds',
    load: async () => (await import('./clipin.ts')).clipinStudy,
  },
  radial: {
    about:
      'Radial Embedding on HierarCaps: held-out radius by level and d_corr before/after radial-finetune (clade tower, open_clip fixture)',
    load: async () => (await import('./radial.ts')).radialStudy,
  },
};

export interface RunStudyOptions {
  readonly short?: boolean;
  readonly out?: string;
  readonly work?: string;
  readonly log?: (line: string) => void;
}

/** Runs a study and writes its JSON, page and plots; returns the paths written. */
export async function runStudy(
  name: string,
  o: RunStudyOptions = {},
): Promise<{ json: string; page: string; plots: string[] }> {
  const entry = Object.hasOwn(STUDIES, name) ? STUDIES[name] : undefined;
  if (!entry) throw new Error(`unknown study '${name}'; expected one of ${Object.keys(STUDIES).join(', ')}`);
  const study = await entry.load();
  const short = Boolean(o.short);
  const tag = short ? `${name}-short` : name;
  const work = resolve(o.work ?? join(REPO, 'runs', 'studies', tag));
  const out = resolve(o.out ?? (short ? join(work, 'page') : join(REPO, 'docs', 'studies')));
  const log = o.log ?? ((l: string) => console.error(l));
  rmSync(work, { recursive: true, force: true }); // the study's own scratch directory: always a fresh run
  const clade = new Clade(join(work, 'clade.log'), log);
  const loads: number[] = [loadavg()[0]];
  const sampler = setInterval(() => loads.push(loadavg()[0]), 15_000);
  const started = new Date();
  const t0 = performance.now();
  let result;
  try {
    result = await study.run({ short, work, clade, log });
  } finally {
    clearInterval(sampler);
  }
  loads.push(loadavg()[0]);
  const seconds = (performance.now() - t0) / 1000;
  const nice = getPriority();
  const command = `${nice > 0 ? `nice -n ${nice} ` : ''}npm run study -- ${name}${short ? ' --short' : ''}`;
  const load = {
    start: round(loads[0], 2),
    end: round(loads[loads.length - 1], 2),
    mean: round(loads.reduce((a, b) => a + b, 0) / loads.length, 2),
    max: round(Math.max(...loads), 2),
  };
  const commit = (() => {
    try {
      return execSync('git rev-parse --short HEAD', { cwd: REPO }).toString().trim();
    } catch {
      return 'unknown';
    }
  })();
  const cpu = `${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} logical CPUs)`;
  const record = {
    study: name,
    short,
    command,
    started: started.toISOString(),
    seconds: round(seconds, 1),
    load,
    cpu,
    node: process.version,
    commit,
    seeds: result.seeds,
    calls: clade.calls,
    data: result.data,
  };
  const jsonPath = join(out, `${name}.json`);
  writeFileAtomic(jsonPath, JSON.stringify(record, null, 2) + '\n');
  const plots = Object.entries(result.plots).map(([file, svg]) => {
    writeFileAtomic(join(out, file), svg);
    return join(out, file);
  });
  // a study keeps every core busy itself (load ≈ cores); beyond that, other jobs shared the machine
  const underLoad = load.mean > cpus().length + 1;
  const header = [
    `# ${result.title}`,
    '',
    `Command: \`${command}\` (from the repository root; writes \`${relative(REPO, out) || '.'}/${name}.json\` with every number`,
    `below, the page and its plots). Run: ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${(seconds / 60).toFixed(1)} min`,
    `end to end, load average ${load.start} → ${load.end} (mean ${load.mean}, max ${load.max}) on ${cpu}, commit ${commit};`,
    `seeds ${result.seeds.join(', ')}.${underLoad ? " **Measured under load** (other engineers' jobs shared the cores): the time overstates a quiet machine's." : ''}`,
    short
      ? "\n> **Short version** (the data suite's pipeline check): tiny budgets, the numbers mean nothing."
      : '',
    '',
  ].join('\n');
  const pagePath = join(out, `${name}.md`);
  writeFileAtomic(pagePath, `${header}\n${result.body.trim()}\n`);
  return { json: jsonPath, page: pagePath, plots };
}

async function main(argv: string[]): Promise<number> {
  const args = [...argv];
  const flag = (f: string) => {
    const i = args.indexOf(f);
    if (i < 0) return false;
    args.splice(i, 1);
    return true;
  };
  const value = (f: string) => {
    const i = args.indexOf(f);
    if (i < 0) return undefined;
    const v = args[i + 1];
    args.splice(i, 2);
    return v;
  };
  const short = flag('--short');
  const out = value('--out');
  const work = value('--work');
  if (args.length !== 1 || args[0].startsWith('-')) {
    console.error(
      `usage: npm run study -- <name> [--short] [--out DIR] [--work DIR]\n\n${Object.entries(STUDIES)
        .map(([k, s]) => `  ${k.padEnd(9)} ${s.about}`)
        .join('\n')}`,
    );
    return 2;
  }
  const r = await runStudy(args[0], { short, out, work });
  console.log(`wrote ${relative(REPO, r.json)}, ${relative(REPO, r.page)} and ${r.plots.length} plots`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(REPO, 'bench/studies/run.ts'))
  process.exitCode = await main(process.argv.slice(2));
