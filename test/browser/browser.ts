import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Clock } from '../../src/common/clock.js';
import { startApp, type TestApp } from '../support/app.js';

/** Debian's Chromium (`apt-get install chromium`): Playwright's own browser download is not used. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const LAPTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export function launchChromium(args: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', ...args] });
}

/** The real app on SQLite in memory, listening on a free port of the loopback interface. */
export async function startServer(
  env: NodeJS.ProcessEnv = {},
  clock?: Clock,
): Promise<{ t: TestApp; baseUrl: string }> {
  const t = await startApp('sqlite::memory:', env, clock);
  await t.app.listen(0, '127.0.0.1');
  const { port } = t.http.address() as AddressInfo;
  return { t, baseUrl: `http://127.0.0.1:${port}` };
}

/** A page that records every console error and uncaught page error, for the test to assert on. */
export async function watchedPage(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
  // Fail a step in seconds, with the locator in the message, rather than at the test's timeout.
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  return { page, errors };
}
