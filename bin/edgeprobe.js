#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm install` through the prepare script).
import('../dist/src/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    process.stderr.write('edgeprobe: dist/ is missing; run `npm install` (or `npm run build`) first\n');
    process.exit(2);
  }
  throw err;
});
