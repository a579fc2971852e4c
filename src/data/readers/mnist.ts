import { CladeError } from '../../util/errors.ts';
import type { Dataset, OnError, Sample, SkipReport } from '../types.ts';
import { readBytes, SkipLog } from './files.ts';

export const MNIST_LABELS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
export const FASHION_MNIST_LABELS = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** An IDX array of unsigned bytes: `dims` from the header, `data` row-major. */
export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

/**
 * Reads an IDX file (raw or gzip) of unsigned bytes (type 0x08), big-endian header as in LeCun's format.
 * A file shorter than its header says throws naming the first incomplete record, or with `skip` keeps the
 * complete records (reported in `skipped`).
 *
 * @example
 * const { dims, data } = readIdx('t10k-labels-idx1-ubyte.gz'); // dims [10000]
 */
export function readIdx(file: string, opts: { onError?: OnError; skipped?: SkipReport[] } = {}): IdxArray {
  const b = readBytes(file);
  if (b.length < 4 || b[0] !== 0 || b[1] !== 0)
    throw new CladeError('not an IDX file: expected magic 00 00 <type> <ndim>', { file });
  if (b[2] !== 0x08)
    throw new CladeError(
      `IDX element type 0x${b[2].toString(16)} not supported (expected 0x08, unsigned byte)`,
      { file },
    );
  const ndim = b[3];
  const header = 4 + 4 * ndim;
  if (ndim < 1 || b.length < header) throw new CladeError(`truncated IDX header (${ndim} dims)`, { file });
  const view = new DataView(b.buffer, b.byteOffset, b.length);
  const dims = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  const per = dims.slice(1).reduce((a, c) => a * c, 1);
  const have = b.length - header;
  const complete = Math.floor(have / per);
  if (complete < dims[0] || have > dims[0] * per) {
    const log = new SkipLog(opts.onError);
    if (have > dims[0] * per)
      throw new CladeError(
        `${have - dims[0] * per} trailing bytes after ${dims[0]} records of ${per} bytes`,
        { file },
      );
    log.bad(
      new CladeError(
        `truncated: header says ${dims[0]} records of ${per} bytes, file holds ${complete} complete`,
        {
          file,
          record: complete,
        },
      ),
    );
    opts.skipped?.push(...log.skipped);
    dims[0] = complete;
  }
  return { dims, data: b.subarray(header, header + dims[0] * per) };
}

export interface MnistDataset extends Dataset {
  readonly labelNames: readonly string[];
  readonly labels: Uint8Array; /* [N] */
  readonly skipped: readonly SkipReport[];
}

/**
 * MNIST / Fashion-MNIST from an images IDX3 and a labels IDX1 file (raw or gzip). Images are 28×28×1.
 *
 * @example
 * const ds = readMnist('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz');
 * ds.get(0).label; // 7
 */
export function readMnist(
  imagesFile: string,
  labelsFile: string,
  opts: { onError?: OnError; labelNames?: readonly string[]; name?: string } = {},
): MnistDataset {
  const skipped: SkipReport[] = [];
  const images = readIdx(imagesFile, { onError: opts.onError, skipped });
  const labels = readIdx(labelsFile, { onError: opts.onError, skipped });
  if (images.dims.length !== 3)
    throw new CladeError(`expected a 3-d image array, got dims [${images.dims}]`, { file: imagesFile });
  if (labels.dims.length !== 1)
    throw new CladeError(`expected a 1-d label array, got dims [${labels.dims}]`, { file: labelsFile });
  const names = opts.labelNames ?? MNIST_LABELS;
  const n = Math.min(images.dims[0], labels.dims[0]);
  if (images.dims[0] !== labels.dims[0]) {
    const err = new CladeError(`${images.dims[0]} images but ${labels.dims[0]} labels in ${labelsFile}`, {
      file: imagesFile,
    });
    if ((opts.onError ?? 'fail') === 'fail') throw err;
    skipped.push({ where: `${imagesFile}: records ${n}..`, reason: err.message });
  }
  for (let i = 0; i < n; i++)
    if (labels.data[i] >= names.length)
      throw new CladeError(`label ${labels.data[i]} out of range 0..${names.length - 1}`, {
        file: labelsFile,
        record: i,
      });
  const [, h, w] = images.dims;
  const get = (index: number): Sample => {
    if (!(index >= 0 && index < n))
      throw new CladeError(`index ${index} out of range 0..${n - 1}`, { file: imagesFile });
    return {
      index,
      id: `${imagesFile}#${index}`,
      image: {
        data: images.data.slice(index * h * w, (index + 1) * h * w),
        width: w,
        height: h,
        channels: 1,
      },
      label: labels.data[index],
    };
  };
  return {
    name: opts.name ?? 'mnist',
    length: n,
    get,
    labelNames: names,
    labels: labels.data.subarray(0, n),
    skipped,
  };
}
