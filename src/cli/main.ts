import { formatError, takeDebugFlag } from './errors.ts';

type Command = { run(argv: string[]): Promise<number> };
const COMMANDS: Record<string, { about: string; load: () => Promise<Command> }> = {
  demo: {
    about: 'train + evaluate + report on the built-in synthetic-taxonomy dataset',
    load: () => import('./commands/demo.ts'),
  },
  train: {
    about: 'train a preset or config file (dot-path overrides, --resume)',
    load: () => import('./commands/train.ts'),
  },
  export: {
    about: "write a model directory from a run's newest checkpoint",
    load: () => import('./commands/export.ts'),
  },
  embed: {
    about: 'embed a dataset with a model directory → .parquet/.arrow/.npy/.safetensors',
    load: () => import('./commands/embed.ts'),
  },
  import: {
    about: 'open_clip folder (open_clip_config.json + safetensors) → clade model directory',
    load: () => import('./commands/import.ts'),
  },
  predict: {
    about: 'top-k labels per image at any taxonomic rank with a CLIP model (as pybioclip predict)',
    load: () => import('./commands/predict.ts'),
  },
  presets: { about: 'list the presets and recipes', load: () => import('./commands/presets.ts') },
  analyze: {
    about:
      'label-based analyses (kNN, linear probe, RLD/CH/homogeneity, graph head, few-shot) of any embeddings file',
    load: () => import('./commands/analyze.ts'),
  },
  zeroshot: {
    about: 'zero-shot classification (and by taxonomic rank) from image and class-text embedding files',
    load: () => import('./commands/zeroshot.ts'),
  },
  retrieval: {
    about: 'image ↔ text retrieval R@1/5/10 from embedding files',
    load: () => import('./commands/retrieval.ts'),
  },
  hierarcaps: {
    about: 'HierarCaps P, R and d_corr of a model or of precomputed embeddings',
    load: () => import('./commands/hierarcaps.ts'),
  },
  results: {
    about: 'aggregate / validate / show result JSON files',
    load: () => import('./commands/results.ts'),
  },
  explore: {
    about: 'write (or --serve) an offline web explorer of an embeddings file',
    load: () => import('./commands/explore.ts'),
  },
  report: {
    about: 'write a self-contained HTML report from result files',
    load: () => import('./commands/report.ts'),
  },
};

function help(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return `clade — contrastive representation learning in TypeScript\n\nusage: clade <command> [options]\n\n${Object.entries(
    COMMANDS,
  )
    .map(([k, c]) => `  ${k.padEnd(w)}  ${c.about}`)
    .join('\n')}\n\nRun 'clade <command> --help' for a command's options; add --debug for stack traces.`;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(help());
    return cmd ? 0 : 2;
  }
  if (cmd === '--version') {
    console.log('0.1.0');
    return 0;
  }
  const entry = COMMANDS[cmd];
  if (!entry) {
    console.error(`clade: unknown command '${cmd}'\n\n${help()}`);
    return 2;
  }
  return (await entry.load()).run(rest);
}

const argv = process.argv.slice(2);
const debug = takeDebugFlag(argv);
try {
  process.exitCode = await main(argv);
} catch (e) {
  console.error(`clade${argv[0] && !argv[0].startsWith('-') ? ` ${argv[0]}` : ''}: ${formatError(e, debug)}`);
  process.exitCode = 1;
}
