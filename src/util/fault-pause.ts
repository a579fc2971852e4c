/**
 * Fault-injection hook for crash-safety tests: with `CLADE_FAULT_PAUSE_MS=N` set, multi-step commits (temp file →
 * rename, sidecar → array, old directory aside → new directory in) pause N ms between their steps, so a test that
 * kills the process at a random instant often lands inside the window it must survive. Unset: no effect.
 */
const ms = Number(process.env.CLADE_FAULT_PAUSE_MS ?? 0);
const cell = ms > 0 ? new Int32Array(new SharedArrayBuffer(4)) : null;

/** Pause between two steps of a commit (only under `CLADE_FAULT_PAUSE_MS`). */
export function faultPause(): void {
  if (cell) Atomics.wait(cell, 0, 0, ms);
}
