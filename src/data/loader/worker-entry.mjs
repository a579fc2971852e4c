// Loader worker-thread entry: plain JavaScript, so a worker starts under any parent (tsx, vitest, plain node).
// It registers tsx's TypeScript loader for this thread, then runs the worker body.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
