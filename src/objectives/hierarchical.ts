import type { Tensor } from '../engine/index.ts';
import { clipInfoNce, supCon } from './contrastive.ts';

/**
 * BioCLIP 2's hierarchical supervision is plain CLIP InfoNCE over taxonomic text (the hierarchy lives in the
 * strings; docs/methods.md §A.2), plus — clade's own extension, not in BioCLIP — optional SupCon terms on the image
 * embeddings at chosen ranks with weights, so coarse ranks can be pulled together explicitly.
 */
export function hierarchicalLoss(
  image: Tensor /* [N, D] */,
  text: Tensor /* [N, D] */,
  logitScale: Tensor,
  ranks: readonly { labels: Tensor /* [N] int64 */; weight: number }[] = [],
  temperature = 0.1,
): { loss: Tensor; clip: Tensor } {
  const clip = clipInfoNce(image, text, logitScale);
  let loss = clip;
  for (const r of ranks)
    if (r.weight !== 0) loss = loss.add(supCon(image, r.labels, temperature).mul(r.weight));
  return { loss, clip };
}

/**
 * BioCLIP 2's experience replay (docs/methods.md §A.4): the biology batch through `proj`, the replay batch through a
 * second visual head `continual_proj`, one shared logit scale, each term with in-subset negatives only.
 */
export function replayLoss(
  bioImage: Tensor,
  bioText: Tensor,
  replayImage: Tensor,
  replayText: Tensor,
  logitScale: Tensor,
): { loss: Tensor; bio: Tensor; replay: Tensor } {
  const bio = clipInfoNce(bioImage, bioText, logitScale);
  const replay = clipInfoNce(replayImage, replayText, logitScale);
  return { loss: bio.add(replay), bio, replay };
}
