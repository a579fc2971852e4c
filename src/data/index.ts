// Public exports of the data layer. Append-only: each area adds its own lines.
export type { Image, Sample, Dataset, StreamDataset, OnError, SkipReport } from './types.ts';

// Taxonomy and text
export { Taxonomy, mostSpecific, type TaxonClass } from './taxonomy/taxonomy.ts';
export {
  TEXT_TYPES,
  BIOCLIP_TEMPLATE,
  isTextType,
  taxonContent,
  taxonText,
  applyTemplate,
  scientificFromLineage,
  taxonomyCaptions,
  type TextType,
} from './taxonomy/text-types.ts';
export {
  BIOCLIP_TEMPLATES,
  OPENAI_IMAGENET_TEMPLATES,
  SIMPLE_IMAGENET_TEMPLATES,
  expandTemplates,
  type TemplateSet,
} from './taxonomy/templates.ts';
export { textTypeSchedule, type TextMixing, type TextTypeSchedule } from './taxonomy/text-type-schedule.ts';
export {
  cifar100Taxonomy,
  cifar100CoarseOfFine,
  CIFAR100_SUPERCLASSES,
} from './taxonomy/cifar100-taxonomy.ts';

// Built-in synthetic dataset
export {
  syntheticTaxonomy,
  SYNTHETIC_TABULAR_FEATURES,
  type SyntheticTaxonomyDataset,
  type SyntheticTaxonomyOptions,
} from './synthetic/synthetic-taxonomy.ts';
export {
  buildSpecies,
  DEFAULT_TREE,
  HABITATS,
  SYNTHETIC_RANKS,
  type SpeciesSpec,
  type TreeShape,
  type Habitat,
} from './synthetic/species.ts';
export { renderOrganism, drawNuisance, type OrganismVariants, type Nuisance } from './synthetic/render.ts';

// Readers: binary formats
export {
  readCifar10,
  readCifar100,
  CIFAR10_LABELS,
  type CifarDataset,
  type CifarOptions,
} from './readers/cifar.ts';
export {
  readIdx,
  readMnist,
  MNIST_LABELS,
  FASHION_MNIST_LABELS,
  type IdxArray,
  type MnistDataset,
} from './readers/mnist.ts';
export { readBytes, planarToHwc } from './readers/files.ts';

// Tokenizers
export { packTokens, type Tokenizer, type TokenBatch } from './tokenizers/tokenizer.ts';
export { WordTokenizer, WORD_SPECIALS, type WordTokenizerJson } from './tokenizers/word-tokenizer.ts';
export { ClipBpeTokenizer, bytesToUnicode, clipClean, type ClipBpeJson } from './tokenizers/clip-bpe.ts';
export { loadTokenizer, tokenizerFromJSON, type TokenizerSource } from './tokenizers/load-tokenizer.ts';

// Readers: CSV and HierarCaps
export { parseCsv, readCsv, columnIndex, type CsvTable } from './readers/csv.ts';
export {
  readHierarCaps,
  readHierarCapsExpanded,
  splitChain,
  type HierarCapsDataset,
  type HierarCapsOptions,
  type HierarCapsPair,
} from './readers/hierarcaps.ts';

// Readers: encoded images, ImageFolder, manifests
export { decodeImage, withImage, decodeDataset, type DecodeOptions } from './readers/decode-image.ts';
export { decodeJpegFast, fastJpegAvailable, isJpeg } from './readers/jpeg-fast.ts';
export { readImageFolder, IMAGE_EXTENSIONS, type ImageFolderDataset } from './readers/image-folder.ts';
export {
  readManifest,
  type ManifestColumns,
  type ManifestOptions,
  type ManifestDataset,
} from './readers/manifest.ts';

// Readers: WebDataset shards
export { expandBraces } from './readers/braces.ts';
export { webDataset, splitName, type WebDataset, type WebDatasetOptions } from './readers/webdataset.ts';

// Augmentation and views (see docs/augmentation.md)
export {
  toTensor,
  toImage,
  floatImage,
  isFloatImage,
  type FloatImage,
  type AnyImage,
} from './augment/float-image.ts';
export { axisCoeffs, resampleInto, type Interpolation, type ResampleSpec } from './augment/resample.ts';
export {
  RandomResizedCrop,
  type RandomResizedCropOptions,
  type CropBox,
  type Size,
} from './augment/random-resized-crop.ts';
export { Resize, ResizeCenterCrop, resizedSize, centerCrop } from './augment/resize.ts';
export { RandomHorizontalFlip } from './augment/flip.ts';
export { ColorJitter, type ColorJitterParams, type JitterRange } from './augment/color-jitter.ts';
export { GRAY_WEIGHTS } from './augment/color.ts';
export { GaussianBlur, gaussianKernel1d } from './augment/gaussian-blur.ts';
export type { PixelOp } from './augment/pixel-op.ts';
export {
  RandomApply,
  RandomGrayscale,
  RandomSolarize,
  Solarize,
  Normalize,
  OPENAI_MEAN,
  OPENAI_STD,
  IMAGENET_MEAN,
  IMAGENET_STD,
  CIFAR10_MEAN,
  CIFAR10_STD,
} from './augment/pixel-ops.ts';
export { ImageView, type ImageViewOptions, type ImageViewParams } from './augment/image-view.ts';
export {
  simclrViews,
  byolViews,
  clipinViews,
  bioclipTrainView,
  clipEvalView,
  drawViews,
  blurKernelFor,
} from './augment/views.ts';
export {
  FeatureMask,
  ScarfCorruption,
  GaussianNoise,
  type TabularView,
  type ScarfParams,
} from './augment/tabular-views.ts';
export { TokenMask, TokenDropout, type TokenViewOptions } from './augment/text-views.ts';

// Loader
export { DataLoader, type LoaderOptions } from './loader/loader.ts';
export type {
  Batch,
  Item,
  ItemContext,
  LoaderDataset,
  LoaderPosition,
  Pipeline,
  SampleTransform,
} from './loader/loader-types.ts';
export { viewsTransform, type ViewsTransformOptions } from './loader/sample-transforms.ts';
export { sampleRng, epochOrder, batchesPerEpoch } from './loader/order.ts';
export { collate } from './loader/collate.ts';

// Opening datasets by spec
export { openDataset, sharedDatasetSpecs, DATASET_KINDS, type DatasetSpec } from './readers/open-dataset.ts';
export { sharedDatasetsDir } from './readers/shared-datasets.ts';
export { buildViews, VIEW_PRESETS, type ViewSpec } from './augment/view-spec.ts';
export {
  PIPELINES,
  buildPipeline,
  pipelineSource,
  type PipelineArgs,
  type PipelineName,
  type PipelineSource,
} from './pipelines/index.ts';
export { writeWebDataset, samplesOf } from './readers/webdataset-writer.ts';
export { captionTokens, type CaptionTokensOptions } from './loader/caption-tokens.ts';
export { StreamLoader, type StreamLoaderOptions } from './loader/stream-loader.ts';
export { jpegSize, decodeViewRegion, regionDecodable } from './loader/region-decode.ts';

// Data specs, resumable streams, chains, validation splits (issue 11)
export type { StreamCursor, ResumableStreamDataset } from './types.ts';
export { parseDataSpec, SPEC_FORMS, type DataSpecHints } from './readers/data-spec.ts';
export { openDataSplits, readTextLines } from './readers/open-dataset.ts';
export { type WebDatasetState, type WebDatasetCursor } from './readers/webdataset.ts';
export { readChains, type ChainDataset, type ChainsOptions, type TextChain } from './readers/chains.ts';
export { splitTrainVal, type ValidationSpec } from './readers/validation-split.ts';
export { writeSyntheticShards, type SyntheticShardsOptions } from './synthetic/synthetic-shards.ts';
export { rankPrefix, prefixKey } from './taxonomy/taxonomy.ts';
