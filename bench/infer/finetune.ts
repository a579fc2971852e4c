/**
 * The fine-tune step case of `npm run bench:infer`: one training step of an open_clip image tower with everything
 * locked but its last N blocks, `ln_post` and `proj` (clade's `lockImage` + `unlockImageBlocks: N`), InfoNCE
 * (scale 100, both directions) against fixed text embeddings (a locked text tower's, fed), AdamW β (0.9, 0.98),
 * ε 1e-6, weight decay 0.2 on rank ≥ 2 tensors. The PyTorch side (torch_infer.py `ft`) runs the same step.
 */
import { arange, cosineMatrix, crossEntropy } from '../../src/engine/functional/index.ts';
import { imageTowerConfig } from '../../src/checkpoints/open-clip-towers.ts';
import { loadOpenClipFolder } from '../../src/checkpoints/open-clip-folder.ts';
import type { VitParams } from '../../src/nn/models/vit.ts';
import { vit } from '../../src/nn/models/vit.ts';
import type { HostTensor } from '../../src/nn/context.ts';
import { adamw } from '../../src/optim/adamw.ts';
import { fineTuneRules } from '../../src/train/recipes/parts/fine-tune.ts';
import { TrainStep } from '../../src/train/step.ts';

/** A compiled fine-tune step over the folder's image tower for `batch` images and text embeddings [batch, E]. */
export async function fineTuneStep(folder: string, batch: number, unlocked: number) {
  const oc = loadOpenClipFolder(folder);
  const tower = vit(imageTowerConfig(oc.spec));
  const [h, w] = oc.spec.vision.image;
  const rules = fineTuneRules(
    { from: folder, lockImage: true, unlockImageBlocks: unlocked },
    { image: { prefix: 'image', depth: oc.spec.vision.layers } },
  );
  const step = await TrainStep.create<{ image: VitParams<HostTensor> }>({
    params: { image: oc.params.image },
    batch: { image: { shape: [batch, 3, h, w] }, text: { shape: [batch, oc.spec.embedDim] } },
    loss: (p, b, ctx) => {
      const logits = cosineMatrix(tower.apply(p.image, b.image, ctx), b.text).mul(100); // [B, B]
      const y = arange(batch);
      return {
        loss: crossEntropy(logits, y)
          .add(crossEntropy(logits.transpose([1, 0]), y))
          .mul(0.5),
      };
    },
    optimizer: adamw({ beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: 0.2 }),
    trainable: rules.trainable,
  });
  const trained = step.slotNames().filter((n) => n.startsWith('opt.m.')).length;
  return { step, trained };
}
