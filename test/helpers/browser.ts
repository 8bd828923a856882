/**
 * Headless Chromium for the browser tests (playwright-core drives the system's Chromium; no
 * browser is downloaded). Tests skip only when no Chromium is installed.
 */
import { existsSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Role } from '../../src/domain/roles.js';
import type { TestApp } from './test-app.js';

export const SCREENSHOT_DIR = path.resolve('docs/screenshots');

/** The Chromium binary to use, or null when there is none (then the browser tests skip). */
export function chromiumPath(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => Boolean(p));
  return candidates.find((p) => existsSync(p)) ?? null;
}

export const NO_CHROMIUM = 'no Chromium found at /usr/bin/chromium (set CHROMIUM_PATH to run the browser tests)';

export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error(NO_CHROMIUM);
  return chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export type UiSession = { context: BrowserContext; page: Page; errors: string[] };

/**
 * A fresh browser context signed in as a role (with the demo user's password, as the sign-in
 * form does), on a laptop-sized viewport with the Dutch locale. Page errors are collected in `errors`.
 */
export async function openAs(browser: Browser, app: TestApp, role: Role | 'compliance2' | null, opts: { viewport?: { width: number; height: number }; hash?: string } = {}): Promise<UiSession> {
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 800 }, locale: 'nl-NL', timezoneId: 'Europe/Amsterdam' });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  await page.goto(`${app.url}/`);
  if (role) {
    // Signs in as the sign-in form does (POST /api/session); the HttpOnly cookie lands in this
    // context's cookie jar and the app picks the session up on load.
    const res = await context.request.post(`${app.url}/api/session`, { data: app.logins[role] });
    if (res.status() !== 200) throw new Error(`sign-in as ${role} failed: ${res.status()} ${await res.text()}`);
    await page.goto(`${app.url}/${opts.hash ?? ''}`);
    await page.reload();
    await page.locator('#nav a').first().waitFor();
    if (opts.hash) await page.locator(`#main[data-ready="${screenOf(opts.hash)}"]`).waitFor({ state: 'attached' });
  }
  return { context, page, errors };
}

/** The screen path of a hash route: '#/dossier/KL-1?doc=x' → 'dossier'. */
const screenOf = (hash: string) => hash.replace(/^#\/?/, '').split(/[/?]/)[0];

/** Goes to a screen by its hash route and waits until that screen has drawn. */
export async function go(page: Page, hash: string): Promise<void> {
  await page.evaluate(() => delete document.querySelector<HTMLElement>('#main')!.dataset.ready);
  await page.evaluate((h) => {
    location.hash = h;
  }, hash);
  await page.locator(`#main[data-ready="${screenOf(hash)}"]`).waitFor({ state: 'attached' });
}

/**
 * Saves a 1280x800-ish PNG of the current screen for the README, scrolled to the top, with the
 * transient status message hidden. Returns its size in bytes.
 */
export async function screenshot(page: Page, name: string): Promise<number> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.evaluate(() => {
    window.scrollTo(0, 0);
    document.querySelector('#status')!.textContent = '';
  });
  await page.screenshot({ path: file, fullPage: false });
  return (await stat(file)).size;
}
