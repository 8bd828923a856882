import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);

/**
 * Whether the suite runs compiled (`npm test` builds once and runs dist/test, so no test file
 * pays tsx's module hooks: ~1.7 s of startup per file and per child process on Node 20) or
 * through tsx (a single file during development).
 */
export const COMPILED = here.endsWith('.js');

/** The repository's root, from the source tree or from its compiled twin under dist/. */
export const REPO_ROOT = path.resolve(path.dirname(here), COMPILED ? '../../..' : '../..');

/**
 * The node arguments that run a TypeScript entry point of the repository (`src/cli.ts`), as
 * the suite itself runs: its compiled twin under dist/, or the source through tsx.
 *
 *     spawn(process.execPath, [...nodeEntry('src/cli.ts'), 'reindex'])
 */
export function nodeEntry(rel: string): string[] {
  return COMPILED
    ? ['--enable-source-maps', path.join(REPO_ROOT, 'dist', rel.replace(/\.ts$/, '.js'))]
    : ['--import', 'tsx', path.join(REPO_ROOT, rel)];
}
