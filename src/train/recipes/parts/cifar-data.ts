/** CIFAR-100 as an image-text source: a 2-rank taxonomy (superclass → class) with BioCLIP 2-style captions. */
import { join } from 'node:path';
import { cifar100Captions, cifarEvalImages, type CifarViewMode } from '../../../data/pipelines/cifar.ts';
import { pipelineSource } from '../../../data/pipelines/index.ts';
import { readCifar100 } from '../../../data/readers/cifar.ts';
import { cifar100Taxonomy } from '../../../data/taxonomy/cifar100-taxonomy.ts';
import { CladeError } from '../../../util/errors.ts';
import { CIFAR_PREPROCESSING } from './cifar.ts';
import type { ImageTextData } from './image-text-data.ts';

/**
 * CIFAR-100 from `dataDir` (train.bin for training, `<split>.bin` held out), the first `limit` training records;
 * training views RandomResizedCrop(`cropScale`) + flip (two of them for CLIPin), CIFAR-100 mean/std.
 */
export function cifar100Data(cfg: {
  dataDir: string;
  limit: number;
  cropScale: readonly [number, number];
  size: number;
}): ImageTextData {
  if (cfg.size !== 32)
    throw new CladeError(`CIFAR-100 images are 32 px; got size ${cfg.size}`, { field: 'size' });
  const taxonomy = cifar100Taxonomy();
  const source = (file: string, mode: CifarViewMode, limit: number) =>
    pipelineSource('cifar100', {
      file: join(cfg.dataDir, file),
      mode,
      scale: cfg.cropScale,
      limit,
      captions: true,
    });
  return {
    name: 'cifar-100',
    taxonomy,
    classNames: taxonomy.classes.map((c) => c.lineage[1]!),
    commonNames: taxonomy.classes.map((c) => c.common!),
    captions: cifar100Captions(),
    synthetic: null,
    preprocessing: CIFAR_PREPROCESSING,
    train: (views) => source('train.bin', views === 2 ? 'pair' : 'supervised', cfg.limit),
    evalSource: (split, count = 0) => source(`${split}.bin`, 'eval', count),
    testImages: (n) => {
      const ds = readCifar100(join(cfg.dataDir, 'test.bin'));
      const m = Math.min(n, ds.length);
      const idx = Int32Array.from({ length: m }, (_, i) => i);
      return { images: cifarEvalImages(ds, idx), labels: ds.labels.slice(0, m), n: m };
    },
  };
}
