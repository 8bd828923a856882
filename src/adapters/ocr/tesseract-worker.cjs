// The tesseract.js worker thread, started at the reading nice value (src/adapters/background-priority.ts):
// requests of the same process get a core before OCR does. Plain CommonJS, so it loads in a
// worker thread as is, from source and compiled (scripts/copy-assets.mjs copies it to dist).
'use strict';
// DOSSIER_READING_NICE, validated by the configuration (0-19, default 10); 0 leaves the thread alone.
const raw = process.env.DOSSIER_READING_NICE;
const nice = raw === undefined || raw === '' ? 10 : Number(raw);
if (Number.isInteger(nice) && nice > 0 && nice <= 19) {
  try {
    // pid 0: on Linux the calling thread only.
    require('node:os').setPriority(0, nice);
  } catch {
    // Another OS or a sandbox: OCR runs at normal priority.
  }
}
// The script tesseract.js itself starts in Node (its src/worker/node/defaultOptions.js workerPath).
// A path inside the package, not an export: an upgrade that moves it fails the test
// "…runs the script tesseract.js itself would start" (test/unit/thread-pool.test.ts) by name.
require('tesseract.js/src/worker-script/node/index.js');
