import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

/**
 * CPU time (user + system) the main thread has used, in ms, or null where the OS does not tell
 * (Linux: /proc/self/task/<pid>/stat, in clock ticks of 10 ms). Unlike a timer's lateness it
 * does not grow when other processes load the machine.
 */
export function mainThreadCpuMs(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/**
 * Runs `work` while a 5 ms timer ticks, and tells how long the work took, the longest wait
 * between two ticks, `held`, the sum of every tick's lateness, and `mainCpu`, the CPU time the
 * main thread used meanwhile (null off Linux): work done off the event loop leaves the timer
 * ticking and the main thread idle, work done on it does not. One block of work shows as a long
 * `gap`; work that yields often (pdfjs between pages) as a short gap but a `held` near the whole
 * work. On a loaded machine timers are late whatever the work; `mainCpu` is not.
 *
 *     const { value, took, gap, mainCpu } = await watchTimers(() => reader.read(page));
 *     assert.ok(offTheLoop({ took, gap, mainCpu }));
 */
export async function watchTimers<T>(work: () => Promise<T>): Promise<{ value: T; took: number; gap: number; held: number; mainCpu: number | null }> {
  let last = performance.now();
  let gap = 0;
  let held = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    gap = Math.max(gap, now - last);
    held += Math.max(0, now - last - 5);
    last = now;
  }, 5);
  const started = performance.now();
  const cpu0 = mainThreadCpuMs();
  try {
    const value = await work();
    const cpu1 = mainThreadCpuMs();
    return { value, took: performance.now() - started, gap, held, mainCpu: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0 };
  } finally {
    clearInterval(timer);
  }
}

/**
 * Asserts that work measured by watchTimers ran off the event loop: the main thread used less CPU
 * than a quarter of the time it took (off Linux, where that is unknown: no timer waited a quarter
 * of it). Work done in the main thread uses about all of it, however loaded the machine.
 * @example assertOffTheLoop(await watchTimers(() => renderPdfPage(pdf, 1, 400)), 'a render at 400 dpi');
 */
export function assertOffTheLoop(r: { took: number; gap: number; held: number; mainCpu: number | null }, what: string): void {
  const ok = r.mainCpu === null ? r.gap < r.took / 4 : r.mainCpu < r.took / 4;
  const cpu = r.mainCpu === null ? 'CPU unknown' : `${r.mainCpu} ms of main-thread CPU`;
  assert.ok(ok, `${what} took ${Math.round(r.took)} ms: ${cpu}, timers late for ${Math.round(r.held)} ms, at most ${Math.round(r.gap)} at once`);
}
