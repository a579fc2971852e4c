import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { CladeError } from '../../util/errors.ts';
import type { Dataset, Image, OnError, Sample, SkipReport } from '../types.ts';
import { decodeImage } from './decode-image.ts';
import { SkipLog } from './files.ts';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp'] as const;

export interface ImageFolderDataset extends Dataset {
  readonly classNames: readonly string[];
  readonly labels: Int32Array; /* [N] */
  readonly paths: readonly string[];
  readonly skipped: readonly SkipReport[];
}

/**
 * torchvision-style ImageFolder: `root/<class>/<image>`, classes = sorted sub-folder names, files sorted within a
 * class; JPEG/PNG/WebP by extension (case-insensitive). A folder without sub-folders is a flat list of unlabelled
 * images (`root/<image>`, no classes, labels -1). Samples carry `imagePath` (decode with `withImage`), or
 * with `decode: true` every image is decoded up front (sharp) and a file that fails to decode throws naming it —
 * or, with `onError: 'skip'`, is left out and reported.
 *
 * @example
 * const ds = await readImageFolder('photos', { decode: true });
 * ds.classNames; // ['cat', 'dog']
 */
export async function readImageFolder(
  root: string,
  opts: { decode?: boolean; channels?: 1 | 3; onError?: OnError; extensions?: readonly string[] } = {},
): Promise<ImageFolderDataset> {
  const exts = new Set((opts.extensions ?? IMAGE_EXTENSIONS).map((e) => e.toLowerCase()));
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch (e) {
    throw new CladeError(`cannot read folder: ${(e as Error).message}`, { file: root });
  }
  const classNames = entries
    .filter((d) => !d.startsWith('.') && statSync(join(root, d)).isDirectory())
    .sort();
  const log = new SkipLog(opts.onError);
  let paths: string[] = [];
  let labels: number[] = [];
  classNames.forEach((c, k) => {
    for (const f of readdirSync(join(root, c)).sort())
      if (exts.has(extname(f).toLowerCase())) {
        paths.push(join(root, c, f));
        labels.push(k);
      }
  });
  if (classNames.length === 0) {
    paths = entries
      .filter((f) => !f.startsWith('.') && exts.has(extname(f).toLowerCase()))
      .sort()
      .map((f) => join(root, f));
    labels = paths.map(() => -1);
    if (paths.length === 0)
      throw new CladeError(`no class sub-folders and no images (${[...exts].join(', ')})`, { file: root });
  }
  let images: (Image | undefined)[] = [];
  if (opts.decode) {
    const keep: number[] = [];
    for (let i = 0; i < paths.length; i++) {
      try {
        images.push(await decodeImage(paths[i], { channels: opts.channels, where: { file: paths[i] } }));
        keep.push(i);
      } catch (e) {
        if (!(e instanceof CladeError)) throw e;
        log.bad(e);
      }
    }
    paths = keep.map((i) => paths[i]);
    labels = keep.map((i) => labels[i]);
  }
  const get = (index: number): Sample => {
    if (!(index >= 0 && index < paths.length))
      throw new CladeError(`index ${index} out of range 0..${paths.length - 1}`, { file: root });
    const label = labels[index] >= 0 ? labels[index] : undefined;
    return { index, id: paths[index], imagePath: paths[index], image: images[index], label };
  };
  return {
    name: root,
    length: paths.length,
    get,
    classNames,
    labels: Int32Array.from(labels),
    paths,
    skipped: log.skipped,
  };
}
