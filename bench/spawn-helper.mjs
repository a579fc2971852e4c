// The helper process of bench/spawn.ts: runs each requested command with spawnSync and sends back its result.
import { spawnSync } from 'node:child_process';

process.on('message', ({ id, cmd, args, env }) => {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 1 << 28 });
  process.send({ id, status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error?.message });
});
