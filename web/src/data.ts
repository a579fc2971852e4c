import { DATA_CALLBACK } from '../../src/explore/format.ts';

/** Payloads delivered by data scripts, by name. */
const delivered = new Map<string, unknown>();
(window as unknown as Record<string, unknown>)[DATA_CALLBACK] = (name: string, payload: unknown) =>
  delivered.set(name, payload);

/** Loads `data/<name>.js` (a classic script: works from file:// and over http) and returns its payload. */
export function loadData<T = unknown>(name: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = `data/${name}.js`;
    s.onload = () => {
      const v = delivered.get(name);
      delivered.delete(name);
      s.remove();
      if (v === undefined) reject(new Error(`data/${name}.js did not deliver '${name}'`));
      else resolve(v as T);
    };
    s.onerror = () => reject(new Error(`cannot load data/${name}.js`));
    document.head.appendChild(s);
  });
}

/** Base64 → bytes (native `Uint8Array.fromBase64` where present). */
export function fromBase64(s: string): Uint8Array {
  const native = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array }).fromBase64;
  if (native) return native(s);
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export async function loadBytes(name: string): Promise<Uint8Array> {
  return fromBase64(await loadData<string>(name));
}
