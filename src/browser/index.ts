/**
 * clade in the browser: no `node:` imports; models run in onnxruntime-web. The explorer (`web/`) is built from
 * this entry; `import { ImageTower } from 'clade/browser'` gives the same functions to any page.
 */
export { ImageTower, decodeImage, type TowerPreprocessing } from './image-tower.ts';
export { withChannels } from '../data/augment/color.ts';
export { cosineTopK, normalized, type Neighbour } from './neighbours.ts';
export { zeroShotByRank } from './zero-shot.ts';
export { aggregateByRank, type RankScore, type Lineage } from '../analysis/rank-aggregation.ts';
export { clipEvalView } from '../data/augment/views.ts';
export * from '../explore/format.ts';
