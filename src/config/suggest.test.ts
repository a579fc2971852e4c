import { expect, test } from 'vitest';
import { closeMatches, didYouMean, editDistance } from './suggest.ts';

test('edit distance counts insertions, deletions, substitutions and transpositions', () => {
  expect(editDistance('lr', 'lr')).toBe(0);
  expect(editDistance('lrr', 'lr')).toBe(1);
  expect(editDistance('steps', 'step')).toBe(1);
  expect(editDistance('kitten', 'sitting')).toBe(3);
  expect(editDistance('emebdDim', 'embedDim')).toBe(1);
  expect(editDistance('', 'abc')).toBe(3);
});

test('close matches are ranked and bounded; far words get none', () => {
  const keys = ['steps', 'lr', 'warmup', 'minLr', 'seed', 'checkpointEvery', 'keepLast', 'workers'];
  expect(closeMatches('lrr', keys)).toEqual(['lr']);
  expect(closeMatches('warmpu', keys)).toEqual(['warmup']);
  expect(closeMatches('checkpoint', keys)).toEqual(['checkpointEvery']);
  expect(closeMatches('WORKERS', keys)).toEqual(['workers']);
  expect(closeMatches('optimizer', keys)).toEqual([]);
  expect(didYouMean('sed', keys, 'train.')).toBe(" — did you mean 'train.seed'?");
  expect(didYouMean('colour', ['colours', 'flavour', 'color'])).toBe(" — did you mean 'color' or 'colours'?");
  expect(didYouMean('zzzz', keys)).toBe('');
});
