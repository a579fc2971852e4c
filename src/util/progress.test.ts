import { expect, test } from 'vitest';
import { progress } from './progress.ts';

const sink = (isTTY: boolean) => {
  const out: string[] = [];
  return { out, stream: { isTTY, write: (s: string) => out.push(s) } };
};

test('not a terminal: plain progress lines every N seconds and one at the end (a log never looks hung)', async () => {
  const { out, stream } = sink(false);
  const bar = progress('train demo', 100, { unit: 'step', stream, plainEverySeconds: 0.05 });
  bar.tick(10, { loss: 2.5 });
  expect(out).toEqual([]); // not yet N seconds
  await new Promise((r) => setTimeout(r, 80));
  bar.tick(10, { loss: 2.25 });
  expect(out).toHaveLength(1);
  expect(out[0]).toMatch(/^train demo: 20\/100 step \(20%\), [\d.e+]+ step\/s, ETA [\d.]+s loss 2\.250\n$/);
  bar.tick(80, { loss: 1.5 });
  bar.done({ loss: 1.5 });
  expect(out.at(-1)).toMatch(/^train demo: 100\/100 step \(100%\), .* done in [\d.]+s loss 1\.500\n$/);
  expect(out.join('')).not.toContain('\r');
});

test('a terminal gets the redrawn bar; 0 seconds turns plain lines off', () => {
  const tty = sink(true);
  const bar = progress('embed', 4, { unit: 'img', stream: tty.stream });
  bar.tick(4);
  bar.done();
  expect(tty.out.at(-1)).toMatch(/^\r\x1b\[2Kembed \[#+\] 4\/4 /);
  const off = sink(false);
  const quiet = progress('embed', 4, { stream: off.stream, plainEverySeconds: 0 });
  quiet.tick(4);
  quiet.done();
  expect(off.out).toEqual([]);
});

test('resumed work is shown in the count but not in the rate or ETA', async () => {
  const { out, stream } = sink(false);
  const bar = progress('train demo', 100, { unit: 'step', stream, plainEverySeconds: 0.05, initial: 90 });
  await new Promise((r) => setTimeout(r, 100));
  bar.tick(1);
  const [, rate] = /, ([\d.e+]+) step\/s/.exec(out[0])!;
  expect(out[0]).toMatch(/^train demo: 91\/100 step \(91%\)/);
  expect(Number(rate)).toBeLessThan(20); // 1 step in ≥ 0.1 s, not 91
});
