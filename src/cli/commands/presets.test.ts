import { afterEach, expect, test, vi } from 'vitest';
import { presetNames } from '../../config/preset.ts';
import { run as presetsCli } from './presets.ts';

afterEach(() => vi.restoreAllMocks());

test('clade presets lists every preset with its recipe, steps and description, then the recipes', async () => {
  const out: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...s) => void out.push(s.join(' ')));
  expect(await presetsCli([])).toBe(0);
  const text = out.join('\n');
  const lines = text.split('\n');
  expect(lines[0]).toMatch(/^preset\s+recipe\s+steps\s+description$/);
  for (const name of presetNames()) expect(lines.some((l) => l.startsWith(`${name} `))).toBe(true);
  expect(lines.find((l) => l.startsWith('demo '))).toMatch(
    /^demo\s+clip-taxonomy\s+300\s+what `clade demo` trains/,
  );
  expect(text).toContain('recipes:\n  clip-taxonomy: ');

  out.length = 0;
  expect(await presetsCli(['--json'])).toBe(0);
  const json = JSON.parse(out.join('\n')) as { name: string; recipe: string }[];
  expect(json.map((p) => p.name)).toEqual(presetNames());
  vi.spyOn(console, 'error').mockImplementation(() => {});
  expect(await presetsCli(['--verbose'])).toBe(2);
});
