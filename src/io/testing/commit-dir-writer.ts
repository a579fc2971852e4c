// Test helper (run as a child process): rewrites a 3-file directory as a unit forever, each version's files
// holding the same version number, so a kill at any instant can be checked for a mix of versions.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDirAtomic } from '../commit-dir.ts';
import { writeFileAtomic } from '../../util/atomic-write.ts';

const [dir] = process.argv.slice(2);
process.stdout.write('ready\n');
for (let v = 1; ; v++) {
  writeDirAtomic(dir, (tmp) => {
    writeFileAtomic(join(tmp, 'model.json'), JSON.stringify({ v }));
    writeFileSync(join(tmp, 'weights.bin'), Buffer.alloc(200_000, v % 256));
    writeFileAtomic(join(tmp, 'image.onnx'), String(v));
  });
}
