import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';

// The published package as a user gets it: `npm pack` (prepack builds dist/), installed into an empty folder from
// the tarball, then the documented API imported from plain Node (no tsx) and type-checked from TypeScript, and the
// `clade` command run from node_modules/.bin. Part of `npm test` (about 45 s: build, install, checks; also alone as
// `npm run test:pack`). The install is `--prefer-offline`: tarballs come from npm's cache (filled by the clone's own
// `npm ci`), but resolving the dependency ranges needs the registry's package metadata, which `npm ci` does not
// cache, so a fresh machine fetches that from the npm registry (`--offline` failed there with ENOTCACHED). It runs
// no install scripts (jpeg-turbo and esbuild ship their binaries; onnxruntime-node's
// script would download CUDA libraries).
const ROOT = resolve(__dirname, '../..');
let dir: string;

const run = (cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, stdio: 'pipe' });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'clade-pack-'));
  run('npm', ['pack', '--pack-destination', dir], ROOT);
  const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
  const app = join(dir, 'app');
  execFileSync('mkdir', [app]);
  // As the README tells a user: deny onnxruntime-node's CUDA download (its CPU binaries ship in the package).
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'clade-pack-check',
      private: true,
      type: 'module',
      allowScripts: {
        'onnxruntime-node': false,
        '@julusian/jpeg-turbo': true,
        esbuild: true,
        protobufjs: true,
      },
    }),
  );
  run(
    'npm',
    ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', join(dir, tgz)],
    app,
    {
      ONNXRUNTIME_NODE_INSTALL: 'skip',
    },
  );
}, 600_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const USE = String.raw`
import { existsSync, readFileSync } from 'node:fs';
const ortLoaded = () =>
  existsSync('/proc/self/maps') ? readFileSync('/proc/self/maps', 'utf8').includes('onnxruntime') : null;
const out = {};

// Pure engine: trace, differentiate, evaluate in float64, export ONNX — no native runtime.
const { input, grad, defineGraph, evaluate, toOnnx } = await import('clade/engine');
const w = input('w', [3]);
const loss = w.square().sum();
const [g] = grad(loss, [w]);
const graph = defineGraph([w], { loss, g });
out.refGrad = Array.from(evaluate(graph, { w: [1, -2, 0.5] }).g.data);
out.onnxBytes = toOnnx(graph).length;
out.ortAfterEngine = ortLoaded();

// Analysis: the js backend never loads ONNX Runtime; the default (ort) backend does, with the same predictions.
const { knnClassify, relativeLocalDensity, linearHead } = await import('clade/analysis');
const n = 240, d = 8;
const data = new Float32Array(n * d);
const y = new Int32Array(n);
for (let i = 0; i < n; i++) {
  y[i] = i % 3;
  for (let j = 0; j < d; j++) data[i * d + j] = (j === y[i] ? 3 : 0) + Math.sin(i * 7.1 + j * 3.3);
}
const train = { data: data.subarray(0, 180 * d), n: 180, d };
const test = { data: data.subarray(180 * d), n: 60, d };
const knnJs = await knnClassify(train, y.subarray(0, 180), test, y.subarray(180), { k: 10, backend: 'js' });
out.ortAfterJsKnn = ortLoaded();
const knnOrt = await knnClassify(train, y.subarray(0, 180), test, y.subarray(180), { k: 10 });
out.ortAfterOrtKnn = ortLoaded();
out.knn = { js: knnJs.top1, ort: knnOrt.top1, same: knnJs.predictions.join() === knnOrt.predictions.join() };
const xa = { data: Float32Array.from([0, 0, 0, 1, 1, 0, 5, 5, 5, 6, 6, 5]), n: 6, d: 2 };
out.rld = (await relativeLocalDensity(xa, [0, 0, 0, 1, 1, 1], { temperatures: [1, 0.5, 0.1], normalize: false })).rld;
out.head = (await linearHead(train, y.subarray(0, 180), test, y.subarray(180), { maxSteps: 200 })).testTop1;

// Root entry: everything, including compile (ONNX Runtime sessions).
const clade = await import('clade');
const run = await clade.compile(graph);
out.ortGrad = Array.from((await run.run({ w: Float32Array.of(1, -2, 0.5) })).g);
out.rootHasAnalysis = typeof clade.linearProbe === 'function' && typeof clade.loadEmbeddings === 'function';
console.log(JSON.stringify(out));
`;

test('the packed package imports in plain Node: pure engine, analysis on both backends, compile', () => {
  const app = join(dir, 'app');
  writeFileSync(join(app, 'use.mjs'), USE);
  const out = JSON.parse(run('node', ['use.mjs'], app).trim().split('\n').pop()!);
  expect(out.refGrad).toEqual([2, -4, 1]);
  expect(out.onnxBytes).toBeGreaterThan(50);
  expect(out.ortGrad).toEqual([2, -4, 1]);
  if (out.ortAfterEngine !== null) {
    expect(out.ortAfterEngine).toBe(false);
    expect(out.ortAfterJsKnn).toBe(false);
    expect(out.ortAfterOrtKnn).toBe(true);
  }
  expect(out.knn.same).toBe(true);
  expect(out.knn.ort).toBeGreaterThan(0.9);
  [0.392172, 0.489986, 0.5].forEach((v, i) => expect(Math.abs(out.rld[i] - v)).toBeLessThan(1e-5));
  expect(out.head).toBeGreaterThan(0.9);
  expect(out.rootHasAnalysis).toBe(true);
});

test('the packed declarations type-check a TypeScript user (module nodenext)', () => {
  const app = join(dir, 'app');
  writeFileSync(
    join(app, 'check.ts'),
    [
      "import { knnClassify, type Embeddings } from 'clade/analysis';",
      "import { input, grad } from 'clade/engine';",
      "import { compile } from 'clade/node';",
      'const x: Embeddings = { data: new Float32Array(4), n: 2, d: 2 };',
      "const r = await knnClassify(x, [0, 1], x, [0, 1], { k: 1, backend: 'js' });",
      'const top1: number = r.top1;',
      "const [g] = grad(input('w', [2]).square().sum(), [input('v', [2])]);",
      '// @ts-expect-error top1 is a number, not a string',
      'const wrong: string = r.top1;',
      'export { top1, g, compile, wrong };',
    ].join('\n'),
  );
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: [],
      },
      files: ['check.ts'],
    }),
  );
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  expect(() => run('node', [tsc, '-p', '.'], app)).not.toThrow();
});

test('the installed `clade` command runs (the CLI runs its TypeScript sources under tsx)', () => {
  const out = run(join(dir, 'app/node_modules/.bin/clade'), ['presets'], join(dir, 'app'));
  expect(out).toMatch(/^demo\s+clip-taxonomy/m);
});
