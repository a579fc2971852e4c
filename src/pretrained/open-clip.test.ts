import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { float32ToHalfArray } from '../io/float16.ts';
import { readSafetensors, writeSafetensors } from '../io/safetensors.ts';
import { Rng } from '../util/rng.ts';
import { checkFixture, maxAbsDiff, readReference } from './fixture-check.ts';
import { openClipSpec } from '../checkpoints/open-clip-config.ts';
import { loadOpenClipFolder } from '../checkpoints/open-clip-folder.ts';
import { fromOpenClipStateDict, keyMap, toOpenClipStateDict } from '../checkpoints/open-clip-weights.ts';
import { writeOpenClipFolder } from './open-clip-writer.ts';
import { argmaxPositions, openModel } from './open-model.ts';
import { referenceEncodeImage, referenceEncodeText } from './testing/open-clip-reference.ts';

const FIXTURE = join(import.meta.dirname, '../../test/fixtures/open_clip/tiny-vit-gelu');
const tmp = mkdtempSync(join(tmpdir(), 'clade-openclip-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('open_clip fixture tiny-vit-gelu (reference computed by open_clip 2.24)', () => {
  test('token ids, embeddings, preprocessing and zero-shot probabilities within the stated tolerances', async () => {
    const r = await checkFixture(FIXTURE);
    expect(r.idsEqual).toBe(true);
    expect(r.textMaxAbs).toBeLessThan(1e-4);
    expect(r.imageMaxAbs).toBeLessThan(1e-4);
    expect(r.pixelMeanAbs).toBeLessThan(0.02);
    expect(r.ownCosineMin).toBeGreaterThanOrEqual(0.999);
    expect(r.probsMaxAbs).toBeLessThan(1e-3);
    // clade's preprocessing is PIL's fixed-point resampling bit for bit: the pixels agree to float rounding.
    expect(r.pixelMaxAbs).toBeLessThan(1e-5);
    expect(r.ownProbsMaxAbs).toBeLessThan(1e-3);
  });
});

const tinyConfig = (over: { vision?: object; text?: object; model?: object } = {}) => ({
  model_cfg: {
    embed_dim: 12,
    quick_gelu: false,
    vision_cfg: {
      image_size: [16, 24],
      layers: 2,
      width: 32,
      head_width: 8,
      patch_size: 8,
      mlp_ratio: 2.5,
      ...over.vision,
    },
    text_cfg: {
      context_length: 12,
      vocab_size: 49408,
      width: 24,
      heads: 3,
      layers: 2,
      mlp_ratio: 3,
      ...over.text,
    },
    ...over.model,
  },
  preprocess_cfg: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
});

test('the float64 reference forward itself reproduces open_clip on the fixture', () => {
  const spec = openClipSpec(JSON.parse(readFileSync(join(FIXTURE, 'open_clip_config.json'), 'utf8')));
  const sd = readSafetensors(join(FIXTURE, 'open_clip_model.safetensors'));
  const ref = readReference(FIXTURE);
  const x = Float32Array.from(ref.pixel_values[1].flat(2));
  expect(maxAbsDiff(referenceEncodeImage(sd, spec, x), ref.image_embeds[1])).toBeLessThan(1e-5);
  const ids = [...ref.input_ids[2], ...new Array(77 - ref.input_ids[2].length).fill(0)];
  expect(maxAbsDiff(referenceEncodeText(sd, spec, ids), ref.text_embeds[2])).toBeLessThan(1e-5);
});

describe('the loader builds any ViT / text-transformer configuration exactly (against a float64 open_clip reference)', () => {
  const cases: [string, ReturnType<typeof tinyConfig>][] = [
    ['4 heads, MLP ratio 2.5/3, 16x24 images, GELU', tinyConfig()],
    [
      'QuickGELU, LayerScale, avg pool with LN after pool, no ln_pre, biased text projection, no causal mask',
      tinyConfig({
        model: { quick_gelu: true },
        vision: {
          ls_init_value: 0.1,
          pool_type: 'avg',
          final_ln_after_pool: true,
          no_ln_pre: true,
          norm_kwargs: { eps: 1e-6 },
        },
        text: { proj_bias: true, no_causal_mask: true, ls_init_value: 0.1 },
      }),
    ],
    ['custom_text layout (text.* keys)', tinyConfig({ model: { custom_text: true } })],
  ];
  cases.forEach(([name, config], ci) =>
    test(name, async () => {
      const dir = join(tmp, `case${ci}`);
      writeOpenClipFolder(dir, config, undefined, ci + 1);
      const spec = openClipSpec(config);
      const sd = readSafetensors(join(dir, 'open_clip_model.safetensors'));
      const m = await openModel(dir, { batch: 2 });
      const rng = new Rng(ci);
      const pixels = rng.normalArray(3 * 3 * 16 * 24);
      const img = await m.embedPixels(pixels, 3);
      const texts = ['a photo of Corvus corax.', '', 'Animalia Chordata Aves'];
      const txt = await m.embedTexts(texts);
      await m.release();
      for (let i = 0; i < 3; i++) {
        const ref = referenceEncodeImage(sd, spec, pixels.subarray(i * 3 * 16 * 24, (i + 1) * 3 * 16 * 24));
        expect(maxAbsDiff(img.data.subarray(i * 12, (i + 1) * 12), ref), `image ${i}`).toBeLessThan(1e-4);
        const ids = m.tokenizer.encode([texts[i]]).ids;
        const refT = referenceEncodeText(sd, spec, ids);
        expect(maxAbsDiff(txt.data.subarray(i * txt.d, (i + 1) * txt.d), refT), `text ${i}`).toBeLessThan(
          1e-4,
        );
      }
    }),
  );
});

describe('checkpoints that clade cannot load exactly fail by name', () => {
  const base = tinyConfig();
  const spec = openClipSpec(base);
  test('unsupported options name their key', () => {
    const bad = (over: Parameters<typeof tinyConfig>[0]) => () => openClipSpec(tinyConfig(over));
    expect(bad({ vision: { timm_model_name: 'vit_base_patch16_siglip_224' } })).toThrow(
      /model_cfg\.vision_cfg\.timm_model_name': a timm image tower/,
    );
    expect(bad({ vision: { attentional_pool: true } })).toThrow(
      /vision_cfg\.attentional_pool': attentional pooling/,
    );
    expect(bad({ vision: { layers: [3, 4, 6, 3] } })).toThrow(/vision_cfg\.layers': a ModifiedResNet/);
    expect(bad({ text: { hf_model_name: 'roberta-base' } })).toThrow(
      /text_cfg\.hf_model_name': a Hugging Face text tower/,
    );
    expect(bad({ text: { pool_type: 'last' } })).toThrow(/text_cfg\.pool_type'/);
    expect(bad({ vision: { norm_kwargs: { elementwise_affine: false } } })).toThrow(
      /norm_kwargs': only 'eps'/,
    );
    expect(bad({ vision: { fancy_new_option: 1 } })).toThrow(
      /unknown key 'model_cfg\.vision_cfg\.fancy_new_option'/,
    );
  });
  test('missing keys, wrong shapes and unexplained keys are named', () => {
    const dir = join(tmp, 'broken');
    const params = writeOpenClipFolder(dir, base);
    const sd = toOpenClipStateDict(params, spec);
    const without = new Map(sd);
    without.delete('visual.transformer.resblocks.1.attn.in_proj_weight');
    expect(() => fromOpenClipStateDict(without, spec, 'w.safetensors')).toThrow(
      /w\.safetensors: missing key 'visual\.transformer\.resblocks\.1\.attn\.in_proj_weight'/,
    );
    const wrong = new Map(sd);
    wrong.set('visual.proj', { dtype: 'F32', shape: [32, 13], data: new Float32Array(32 * 13) });
    expect(() => fromOpenClipStateDict(wrong, spec)).toThrow(
      /'visual\.proj' has shape \[32,13\], the config implies \[32,12\]/,
    );
    const extra = new Map(sd);
    extra.set('visual.attn_pool.query', { dtype: 'F32', shape: [4], data: new Float32Array(4) });
    expect(() => fromOpenClipStateDict(extra, spec)).toThrow(
      /unexpected key 'visual\.attn_pool\.query'.*attentional pooler/,
    );
    // A checkpoint saved from DataParallel (module. prefix) loads like the plain one.
    const prefixed = new Map([...sd].map(([k, v]) => [`module.${k}`, v]));
    expect(fromOpenClipStateDict(prefixed, spec).logitScale).toBeCloseTo(Math.log(1 / 0.07), 5);
  });
  test('a folder with only open_clip_pytorch_model.bin gets a one-line way to the safetensors file', () => {
    const dir = join(tmp, 'bin-only');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'open_clip_config.json'), JSON.stringify(base));
    writeFileSync(join(dir, 'open_clip_pytorch_model.bin'), 'pickle');
    expect(() => loadOpenClipFolder(dir)).toThrow(
      /open_clip_pytorch_model\.bin is a PyTorch pickle, which clade does not read; get open_clip_model\.safetensors .*huggingface-cli download/,
    );
  });
  test('F16 and BF16 checkpoints load (converted to float32)', () => {
    const dir = join(tmp, 'f16');
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(FIXTURE, 'open_clip_config.json'), join(dir, 'open_clip_config.json'));
    const f32 = readSafetensors(join(FIXTURE, 'open_clip_model.safetensors'));
    const bf = (x: Float32Array) =>
      Uint16Array.from(new Uint32Array(Float32Array.from(x).buffer), (u) => u >>> 16);
    for (const [dtype, conv] of [
      ['F16', float32ToHalfArray],
      ['BF16', bf],
    ] as const) {
      writeSafetensors(
        join(dir, 'open_clip_model.safetensors'),
        new Map([...f32].map(([k, t]) => [k, { dtype, shape: t.shape, data: conv(t.data as Float32Array) }])),
      );
      const m = loadOpenClipFolder(dir);
      const ref = loadOpenClipFolder(FIXTURE);
      expect(maxAbsDiff(m.params.image.pos.data, ref.params.image.pos.data)).toBeLessThan(
        dtype === 'F16' ? 1e-3 : 1e-2,
      );
    }
  });
});

test('the key map covers every tensor of the fixture checkpoint exactly once', () => {
  const spec = openClipSpec(JSON.parse(readFileSync(join(FIXTURE, 'open_clip_config.json'), 'utf8')));
  const sd = readSafetensors(join(FIXTURE, 'open_clip_model.safetensors'));
  const keys = keyMap(spec)
    .filter((e) => !e.optional)
    .map((e) => e.key);
  expect(new Set(keys).size).toBe(keys.length);
  expect([...sd.keys()].sort()).toEqual([...keys].sort());
});

test('text pooling position is open_clip’s argmax of the ids', () => {
  expect([...argmaxPositions(Int32Array.from([49406, 5, 49407, 0, 49406, 49407, 0, 0]), 2, 4)]).toEqual([
    2n,
    1n,
  ]);
});
