// Debian's headless Chromium driven by playwright-core, for the dashboard's browser tests.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { executable, requireComponent } from './env.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Why browser tests skip (a string), or false when Chromium is there. */
export function chromiumSkip(): string | false {
  return requireComponent(executable(CHROMIUM), 'Chromium', 'apt-get install chromium');
}

/** A headless Chromium with its own profile under `dir` (created here); `extraArgs`, e.g. a certificate to trust. */
export async function launchChromium(dir: string, extraArgs: readonly string[] = [], profile = 'chromium-profile'): Promise<BrowserContext> {
  const userDataDir = join(dir, profile);
  mkdirSync(userDataDir);
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
    viewport: { width: 1280, height: 900 },
    timeout: 60_000,
  });
}
