// tsc compiles TypeScript only; the SQL migrations and the web UI are copied beside the output.
import { cpSync, existsSync } from 'node:fs';

for (const [from, to] of [
  ['src/db/migrations', 'dist/src/db/migrations'],
  ['src/db/migrations-pg', 'dist/src/db/migrations-pg'],
  ['src/web/public', 'dist/src/web/public'],
  ['src/adapters/ocr/tesseract-worker.cjs', 'dist/src/adapters/ocr/tesseract-worker.cjs'],
]) {
  if (existsSync(from)) cpSync(from, to, { recursive: true });
}
