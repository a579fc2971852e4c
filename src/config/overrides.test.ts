import { expect, test } from 'vitest';
import { applyOverrides, parseOverrideValue, splitOverrides } from './overrides.ts';
import { PresetSchema } from './preset.ts';
import { keysAt } from './zod-errors.ts';

test('override values are JSON when they parse, else strings', () => {
  expect(parseOverrideValue('3e-4')).toBe(3e-4);
  expect(parseOverrideValue('true')).toBe(true);
  expect(parseOverrideValue('[8,16,16]')).toEqual([8, 16, 16]);
  expect(parseOverrideValue('perSample')).toBe('perSample');
  expect(parseOverrideValue('"12"')).toBe('12');
});

test('dot-path options are split from the other arguments, in both --k=v and --k v forms', () => {
  const { rest, overrides } = splitOverrides([
    'demo',
    '--out',
    'runs/a.b',
    '--train.lr=3e-4',
    '--recipeConfig.mixing',
    'perSample',
    '--resume',
  ]);
  expect(rest).toEqual(['demo', '--out', 'runs/a.b', '--resume']);
  expect(overrides.map((o) => [o.path, o.value])).toEqual([
    [['train', 'lr'], 3e-4],
    [['recipeConfig', 'mixing'], 'perSample'],
  ]);
  expect(() => splitOverrides(['--train.lr'])).toThrow('override --train.lr needs a value');
});

test('overrides set nested values on a copy, creating objects as needed', () => {
  const raw = { recipe: 'r', train: { lr: 1e-3, steps: 5 } };
  const out = applyOverrides(
    raw,
    splitOverrides([
      '--train.lr=3e-4',
      '--recipeConfig.imageChannels=[8,16,16]',
      '--recipeConfig.imageChannels.0=4',
    ]).overrides,
  );
  expect(out).toEqual({
    recipe: 'r',
    train: { lr: 3e-4, steps: 5 },
    recipeConfig: { imageChannels: [4, 16, 16] },
  });
  expect(raw.train.lr).toBe(1e-3);
});

test('an unknown override path is an error naming it with close matches', () => {
  const keys = (p: readonly string[]) => keysAt(PresetSchema, p);
  const apply = (a: string) => () => applyOverrides({ recipe: 'r' }, splitOverrides([a]).overrides, keys);
  expect(apply('--train.lrr=1')).toThrow("--train.lrr=1: unknown key 'train.lrr' — did you mean 'train.lr'?");
  expect(apply('--trian.lr=1')).toThrow("unknown key 'trian' — did you mean 'train'?");
  expect(apply('--train.optimizer=1')).toThrow(
    /unknown key 'train.optimizer' \(known keys at 'train': steps, lr/,
  );
  expect(() => applyOverrides({ train: { lr: 1 } }, splitOverrides(['--train.lr.x=1']).overrides)).toThrow(
    "--train.lr.x=1: cannot set a key inside 'train.lr', which is 1",
  );
});
