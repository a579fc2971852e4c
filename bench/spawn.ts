/**
 * Child processes for the benches (the PyTorch / NumPy references), spawned by a small helper process instead of
 * the bench itself. Spawning forks the calling process, and a fork makes every written page of the caller
 * copy-on-write: after it, clade's next training steps re-fault their whole ORT arena and state buffers. On the
 * AMD EPYC VM that cost the text case's next step 1.7 s instead of 0.38 s and the two after it 15–50 % more
 * (180,000 minor faults; `node bin/run-ts.mjs bench/engine/fork-probe.ts text`), even for `spawn('true')`. The
 * trainer never forks, so a bench that times clade between reference runs must not either: the helper is
 * forked once, when this module loads, before any session exists, and every later spawn happens in it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface SpawnResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Set when the command could not be started (e.g. not found). */
  error?: string;
}

let helper: ChildProcess | null = null;
let nextId = 0;
const pending = new Map<number, (r: SpawnResult) => void>();

function start(): ChildProcess {
  const h = fork(fileURLToPath(new URL('./spawn-helper.mjs', import.meta.url)), [], {
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  h.on('message', (m: SpawnResult & { id: number }) => {
    const done = pending.get(m.id);
    pending.delete(m.id);
    if (pending.size === 0) h.channel?.unref();
    done?.({ status: m.status, stdout: m.stdout, stderr: m.stderr, error: m.error });
  });
  h.on('exit', () => {
    helper = null;
    for (const done of pending.values()) done({ status: null, stdout: '', stderr: 'spawn helper exited' });
    pending.clear();
  });
  h.unref();
  h.channel?.unref();
  return h;
}

// Forked now, while this process is small.
helper = start();

/** Run `cmd args` to completion with `env` (default: this process's), from the helper process. */
export function spawnClean(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env) {
  const h = (helper ??= start());
  const id = nextId++;
  return new Promise<SpawnResult>((resolve) => {
    pending.set(id, resolve);
    h.channel?.ref();
    h.send({ id, cmd, args, env });
  });
}

/**
 * Run a reference script from the helper (`env` is laid over this process's) and parse the JSON object on its
 * last line of stdout; on a failure, log `<what> failed:` with the error or the tail of stderr and return null.
 */
export async function spawnJson<T = Record<string, unknown>>(
  what: string,
  cmd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<T | null> {
  const r = await spawnClean(cmd, args, { ...process.env, ...env });
  if (r.status !== 0) {
    console.error(`${what} failed: ${(r.error ?? r.stderr).slice(-2000)}`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}
