import { defineConfig } from 'vitest/config';

// Two projects: `unit` is self-contained (npm test; includes test/pack, which packs and installs the package into a
// temporary folder offline); `data` reads ../shared/datasets (npm run test:data).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/*.data.test.ts', 'node_modules/**'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'data',
          include: ['src/**/*.data.test.ts', 'test/**/*.data.test.ts'],
          testTimeout: 900_000,
          hookTimeout: 900_000,
          pool: 'forks',
          fileParallelism: false,
        },
      },
    ],
  },
});
