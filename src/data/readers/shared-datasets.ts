import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** `../shared/datasets` beside the repository (where CI and the data suite find the real datasets). */
export function sharedDatasetsDir(...parts: string[]): string {
  return join(fileURLToPath(new URL('../../../../shared/datasets', import.meta.url)), ...parts);
}
