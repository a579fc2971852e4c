import { describe, expect, it } from 'vitest';
import { spawnClean, spawnJson } from '../../bench/spawn.ts';

describe('bench/spawn.ts', () => {
  it('runs the command in the helper process, not in this one, and returns its output', async () => {
    const r = await spawnClean('sh', ['-c', 'echo "$PPID $CLADE_SPAWN_PROBE"; echo oops >&2; exit 3'], {
      ...process.env,
      CLADE_SPAWN_PROBE: 'seen',
    });
    expect(r.status).toBe(3);
    const [ppid, env] = r.stdout.trim().split(' ');
    // The parent of the command is the helper, so this (timed) process never forked.
    expect(Number(ppid)).toBeGreaterThan(0);
    expect(Number(ppid)).not.toBe(process.pid);
    expect(env).toBe('seen');
    expect(r.stderr.trim()).toBe('oops');
  });

  it('reports a command that cannot be started', async () => {
    const r = await spawnClean('/nonexistent/clade-no-such-command', []);
    expect(r.status).toBeNull();
    expect(r.error).toMatch(/ENOENT/);
  });

  it('serves requests one after another', async () => {
    const rs = await Promise.all([1, 2, 3].map((i) => spawnClean('sh', ['-c', `echo ${i}`])));
    expect(rs.map((r) => r.stdout.trim())).toEqual(['1', '2', '3']);
  });

  it('spawnJson reads the JSON on the last line of stdout, with env laid over this process', async () => {
    const j = await spawnJson<{ v: string }>(
      'probe',
      'sh',
      ['-c', 'echo warming up; echo "{\\"v\\": \\"$CLADE_SPAWN_PROBE\\"}"'],
      {
        CLADE_SPAWN_PROBE: 'x',
      },
    );
    expect(j).toEqual({ v: 'x' });
    expect(await spawnJson('probe', 'sh', ['-c', 'exit 1'])).toBeNull();
  });
});
