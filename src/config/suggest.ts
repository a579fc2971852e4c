// Moved to src/util/suggest.ts so the data layer can suggest option names too; re-exported for config's imports.
export * from '../util/suggest.ts';
