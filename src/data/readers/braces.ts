import { CladeError } from '../../util/errors.ts';

/**
 * Expands brace patterns as WebDataset / open_clip do: numeric ranges keep zero padding
 * (`shard-{0000..0002}.tar` → `shard-0000.tar`, `shard-0001.tar`, `shard-0002.tar`), lists split on commas
 * (`{train,val}`); several braces multiply; `::` separates independent patterns.
 *
 * @example
 * expandBraces('data/{a,b}-{00..01}.tar'); // ['data/a-00.tar', 'data/a-01.tar', 'data/b-00.tar', 'data/b-01.tar']
 */
export function expandBraces(pattern: string): string[] {
  if (pattern.includes('::')) return pattern.split('::').flatMap(expandBraces);
  const open = pattern.indexOf('{');
  if (open < 0) {
    if (pattern.includes('}')) throw new CladeError(`unmatched '}' in pattern '${pattern}'`);
    return [pattern];
  }
  const close = pattern.indexOf('}', open);
  if (close < 0) throw new CladeError(`unmatched '{' in pattern '${pattern}'`);
  const head = pattern.slice(0, open);
  const body = pattern.slice(open + 1, close);
  const tails = expandBraces(pattern.slice(close + 1));
  const range = /^(\d+)\.\.(\d+)$/.exec(body);
  let items: string[];
  if (range) {
    const [a, b] = [Number(range[1]), Number(range[2])];
    if (b < a) throw new CladeError(`empty range {${body}} in pattern '${pattern}'`);
    if (b - a > 1_000_000) throw new CladeError(`range {${body}} too large`);
    const width = range[1].length;
    items = Array.from({ length: b - a + 1 }, (_, i) => String(a + i).padStart(width, '0'));
  } else items = body.split(',');
  return items.flatMap((it) => tails.map((t) => head + it + t));
}
