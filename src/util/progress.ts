/**
 * A one-line terminal progress bar (what, how far, rate, ETA). When stderr is not a TTY (a log file, CI), plain
 * lines instead: one every `CLADE_PROGRESS_SECONDS` seconds (default 10; 0 = none) and one at the end, so a long
 * run in a log does not look hung.
 *
 * @example
 * const bar = progress('embedding', 1000);
 * for (...) bar.tick(32, { loss: 0.41 });
 * bar.done();
 */
export interface Progress {
  tick(n?: number, info?: Record<string, number | string>): void;
  done(info?: Record<string, number | string>): void;
}

export function progress(
  label: string,
  total: number,
  opts: {
    force?: boolean;
    unit?: string;
    /** Work already done before this run (e.g. the step a training resumes from): shown, not counted in the rate. */
    initial?: number;
    /** Where to write (default process.stderr). */
    stream?: { write(s: string): unknown; isTTY?: boolean };
    /** Seconds between plain lines when the stream is not a TTY (default CLADE_PROGRESS_SECONDS or 10). */
    plainEverySeconds?: number;
  } = {},
): Progress {
  const stream = opts.stream ?? process.stderr;
  const enabled = opts.force || (stream.isTTY ?? false);
  const envEvery = Number(process.env.CLADE_PROGRESS_SECONDS);
  const plainEvery =
    opts.plainEverySeconds ??
    (process.env.CLADE_PROGRESS_SECONDS && Number.isFinite(envEvery) ? envEvery : 10);
  let lastPlain = performance.now();
  const unit = opts.unit ?? 'it';
  const t0 = performance.now();
  const initial = opts.initial ?? 0;
  let count = initial;
  let lastDraw = 0;
  const fmt = (info?: Record<string, number | string>) =>
    info
      ? Object.entries(info)
          .map(([k, v]) => `${k} ${typeof v === 'number' ? formatNumber(v) : v}`)
          .join(' ')
      : '';
  const plain = (info?: Record<string, number | string>, final = false) => {
    if (!(plainEvery > 0) || count === initial) return;
    const now = performance.now();
    if (!final && now - lastPlain < plainEvery * 1000) return;
    lastPlain = now;
    const secs = (now - t0) / 1000;
    const rate = (count - initial) / Math.max(secs, 1e-9);
    const eta = rate > 0 && total > count ? (total - count) / rate : 0;
    const pct = total > 0 ? ` (${Math.floor((100 * Math.min(count, total)) / total)}%)` : '';
    const when = final ? `done in ${formatTime(secs)}` : `ETA ${formatTime(eta)}`;
    stream.write(
      `${label}: ${count}/${total} ${unit}${pct}, ${formatNumber(rate)} ${unit}/s, ${when}${info ? ` ${fmt(info)}` : ''}\n`,
    );
  };
  const draw = (info?: Record<string, number | string>, final = false) => {
    if (!enabled) return plain(info, final);
    const now = performance.now();
    if (!final && now - lastDraw < 100) return;
    lastDraw = now;
    const secs = (now - t0) / 1000;
    const rate = (count - initial) / Math.max(secs, 1e-9);
    const frac = total > 0 ? Math.min(1, count / total) : 0;
    const width = 24;
    const filled = Math.round(frac * width);
    const eta = rate > 0 && total > count ? (total - count) / rate : 0;
    const line =
      `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${count}/${total} ` +
      `${formatNumber(rate)} ${unit}/s ${final ? `in ${formatTime(secs)}` : `ETA ${formatTime(eta)}`} ${fmt(info)}`;
    stream.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
  };
  return {
    tick(n = 1, info) {
      count += n;
      draw(info);
    },
    done(info) {
      draw(info, true);
    },
  };
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  if (Number.isInteger(v)) return String(v);
  return v.toFixed(a < 1 ? 4 : a < 100 ? 3 : 1);
}

export function formatTime(secs: number): string {
  if (secs < 60) return `${secs.toFixed(1)}s`;
  const m = Math.floor(secs / 60);
  const s = Math.round(secs % 60);
  if (m < 60) return `${m}m${String(s).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
