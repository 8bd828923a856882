// The tesseract.js worker thread, started at background priority (src/adapters/background-priority.ts):
// requests of the same process get a core before OCR does. Plain CommonJS, so it loads in a
// worker thread as is, from source and compiled (scripts/copy-assets.mjs copies it to dist).
'use strict';
try {
  // pid 0: on Linux the calling thread only. Nice 10, as BACKGROUND_NICE.
  require('node:os').setPriority(0, 10);
} catch {
  // Another OS or a sandbox: OCR runs at normal priority.
}
require('tesseract.js/src/worker-script/node/index.js');
