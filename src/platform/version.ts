import { readFileSync } from 'node:fs';

// The agent bundle has no package.json beside it: scripts/build.mjs defines this constant instead.
declare const EDGEPROBE_BUNDLED_VERSION: string | undefined;

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export const VERSION: string = typeof EDGEPROBE_BUNDLED_VERSION === 'string' ? EDGEPROBE_BUNDLED_VERSION : packageVersion();
