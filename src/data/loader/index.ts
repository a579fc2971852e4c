export * from './loader-types.ts';
export * from './order.ts';
export * from './collate.ts';
export * from './produce.ts';
export * from './worker-pool.ts';
export * from './loader.ts';
export * from './sample-transforms.ts';
