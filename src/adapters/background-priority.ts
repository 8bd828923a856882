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
 *
 * The value is `DOSSIER_READING_NICE` (10; 0 runs reading at the requests' priority, for a host
 * where other busy services would otherwise take most of the cores from it): the configuration
 * sets it here (openDossierlink) before any reading thread starts; tesseract-worker.cjs reads it
 * from the environment.
 */
import os from 'node:os';

/** The default nice value of reading threads and processes: below normal (0), above the idlest (19). */
export const BACKGROUND_NICE = 10;

let nice = BACKGROUND_NICE;

/** Sets the nice value reading threads and processes start at from now on (0-19; 0 leaves them alone). */
export function setReadingNice(value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 19) throw new RangeError(`a reading nice value is 0-19, got ${value}`);
  nice = value;
  // tesseract.js starts its worker threads itself, without workerData: tesseract-worker.cjs reads
  // the value from the environment, which each new worker thread gets a copy of.
  process.env.DOSSIER_READING_NICE = String(value);
}

/** The nice value reading starts at. */
export function readingNice(): number {
  return nice;
}

/**
 * Lowers the calling thread (pid 0: on Linux, this thread only) to `value`; false where the OS
 * refused, or for 0 (nothing to do).
 * @example lowerThisThread(workerData.nice); // first thing in a worker thread's entry
 */
export function lowerThisThread(value: number): boolean {
  if (!value) return false;
  try {
    os.setPriority(0, value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Lowers a child process (a native `tesseract`) to the reading nice value; false if it has
 * exited already, the OS refused, or the value is 0.
 */
export function lowerProcess(pid: number | undefined): boolean {
  if (!pid || !nice) return false;
  try {
    os.setPriority(pid, nice);
    return true;
  } catch {
    return false;
  }
}
