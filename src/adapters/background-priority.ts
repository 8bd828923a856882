/**
 * Page reading (OCR, rendering, codes, pixel work) runs at a lower CPU priority than the thread
 * that answers requests. An embedded instance serves the UI and reads scans in one process on the
 * same cores: at equal priority a burst of scans left every request waiting for a core. The
 * scheduler now gives requests the core first and the reading every cycle they leave, so a
 * machine that only reads loses nothing.
 *
 * On Linux the nice value is per thread (setpriority(2), NPTL): `lowerThisThread()` in a worker
 * thread lowers only that thread. Raising a nice value needs no privilege; where it fails (another
 * OS, a sandbox) reading simply runs at normal priority.
 */
import os from 'node:os';

/** The nice value of reading threads and processes: below normal (0), above the idlest (19). */
export const BACKGROUND_NICE = 10;

/**
 * Lowers the calling thread (pid 0: on Linux, this thread only) to the background priority.
 * @example lowerThisThread(); // first thing in a worker thread's entry
 */
export function lowerThisThread(): boolean {
  try {
    os.setPriority(0, BACKGROUND_NICE);
    return true;
  } catch {
    return false;
  }
}

/**
 * Lowers a child process (a native `tesseract`) to the background priority; false if it has
 * exited already or the OS refused.
 */
export function lowerProcess(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    os.setPriority(pid, BACKGROUND_NICE);
    return true;
  } catch {
    return false;
  }
}
