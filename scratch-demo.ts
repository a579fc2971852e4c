import { clipTaxonomy } from './src/train/recipes/clip-taxonomy.ts';
import { syntheticPipeline } from './src/train/recipes/pipelines.ts';
import { embedImages, stackImages } from './src/cli/workflows/embed-split.ts';
import { writeDemoExplorer } from './src/explore/demo-explorer.ts';
import { readResults } from './src/report/index.ts';
const recipe = clipTaxonomy({ seed: 0 });
const cfg = recipe.config;
const dir = '/tmp/explorer-demo';
const modelDir = dir + '/model';
const parts = [];
for (const [split, per] of [['test', 10], ['train', 20]] as const) {
  const s = await stackImages(syntheticPipeline({ seed: cfg.seed, perSpecies: per, size: cfg.size, split, mode: 'eval' }));
  parts.push({ split, embeddings: await embedImages(modelDir, s.images, s.samples.length), samples: s.samples });
}
const t0 = performance.now();
await writeDemoExplorer(dir + '/explorer', { dataset: recipe.dataset, modelDir, parts, results: readResults(dir).map((r) => r.result), log: console.log });
console.log('explorer written', (performance.now() - t0) / 1000);
