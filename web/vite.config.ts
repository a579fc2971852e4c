import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The explorer is one classic script (IIFE) + one stylesheet: pages opened from file:// may not load ES modules
// or workers from files, so nothing is split into chunks. public/index.html is copied as is.
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// onnxruntime-web names its WebAssembly with `new URL('….wasm', import.meta.url)`, which library mode would inline
// as a 19 MB data URL. The page hands the bytes over itself (ort.env.wasm.wasmBinary, from data/ort-wasm.js,
// written only when a model is included), so the reference is rewritten to a plain URL that is never fetched.
const externalOrtWasm = {
  name: 'clade-external-ort-wasm',
  enforce: 'pre' as const,
  transform(code: string, id: string) {
    if (!id.includes('onnxruntime-web')) return null;
    return code.replace(/new URL\(("ort-wasm[^"]*\.wasm"),import\.meta\.url\)/g, 'new URL($1,location.href)');
  },
};
export default defineConfig({
  root: here('.'),
  publicDir: here('public'),
  logLevel: 'error',
  plugins: [externalOrtWasm],
  define: { 'process.env.NODE_ENV': '"production"' },
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    target: 'es2022',
    lib: {
      entry: here('src/main.ts'),
      formats: ['iife'],
      name: 'cladeExplorer',
      fileName: () => 'assets/explorer.js',
      cssFileName: 'assets/explorer',
    },
  },
});
