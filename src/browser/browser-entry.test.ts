import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { expect, test } from 'vitest';

/** Every module reachable from a file through relative imports, with the bare specifiers they import. */
function importGraph(entry: string): { files: string[]; bare: Set<string> } {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)) {
      if (/^import\s+type\s/.test(m[0].trim()) || /^export\s+type\s/.test(m[0].trim())) continue;
      const spec = m[1];
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else bare.add(spec);
    }
  };
  visit(entry);
  return { files: [...seen], bare };
}

test('the browser entry and the explorer app import nothing from node: or onnxruntime-node', () => {
  for (const entry of [
    join(import.meta.dirname, 'index.ts'),
    join(import.meta.dirname, '../../web/src/main.ts'),
  ]) {
    const { files, bare } = importGraph(entry);
    expect(files.length).toBeGreaterThan(5);
    const nodeOnly = [...bare].filter(
      (s) => s.startsWith('node:') || s === 'onnxruntime-node' || s === 'sharp',
    );
    expect(nodeOnly, entry).toEqual([]);
    expect([...bare]).toContain('onnxruntime-web/wasm');
  }
});
