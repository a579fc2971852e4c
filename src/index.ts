/**
 * clade's Node entry (`import … from 'clade'`): the engine with ONNX Runtime sessions, nn layers, optimizers,
 * objectives, embedding and metadata files, and every analysis. The pure entries bundle for a browser:
 * `clade/engine` (tensors, functional ops, autodiff, ONNX export, reference interpreter), `clade/nn`, `clade/optim`,
 * `clade/objectives`. `clade/node` is the engine plus `compile`; `clade/analysis` and `clade/io` are the measuring
 * half on its own (docs/analysis.md "Library use").
 */
export * from './engine/node.ts';
export * from './nn/index.ts';
export * from './optim/index.ts';
export * from './objectives/index.ts';
export * from './io/index.ts';
export * from './analysis/index.ts';
// Both layers name an exterior angle: the root entry's is the analysis (numbers); the loss term's symbolic one is
// `exteriorAngle` of `clade/objectives`.
export { exteriorAngle } from './analysis/index.ts';
