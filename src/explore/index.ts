export * from './format.ts';
export { writeExplorer, webDistDir, type ExplorerInput } from './write-explorer.ts';
export {
  computeProjections,
  PROJECTIONS,
  type ProjectionName,
  type ProjectionOptions,
} from './projections.ts';
export { embedTaxonomyText, taxonomyNodes, nodeText, type TaxonomyText } from './taxonomy-text.ts';
export { serveExplorer } from './serve.ts';
export { pointsTable, columnKind } from './points-table.ts';
