// Builds everything: TypeScript to dist/, the report schema beside it, and the one-file device agent
// dist/edgeprobe-agent.js (esbuild, CommonJS so that `node -` can run it from stdin, Node >= 18).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { Ajv, _ } from 'ajv';
import addFormats from 'ajv-formats';
import standaloneCode from 'ajv/dist/standalone/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

try {
  execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
} catch {
  process.stderr.write('build: TypeScript reported errors (above)\n');
  process.exit(1);
}

// The validators of the shipped JSON Schemas (profiles, hardware spec sheets, reports), generated here by
// ajv's standalone code generation instead of compiled by ajv at run time: compiling a schema costs a run
// more CPU time and memory than reading what it checks, and neither the agent nor the CLI then loads a
// schema compiler. Same options, same generated code and errors as a runtime ajv.compile(). Each module is
// imported as src/report/<name>.js (declared in <name>.d.ts): written beside tsc's output, and resolved
// there for the agent bundle. The report's is its own module: the agent never validates a report, and the
// formats it needs (uuid, date-time, from ajv-formats) would otherwise come along.
const SHIPPED_VALIDATORS = {
  'shipped-validators': { profile: 'targets/schemas/profile.schema.json', hardware: 'targets/schemas/hardware.schema.json' },
  'report-validator': { report: 'src/report/report.v1.schema.json' },
};
const generatedPath = (name) => join(root, 'dist', 'src', 'report', `${name}.js`);
// ajv's ucs2length (minLength/maxLength count code points) walks a string a character at a time, so checking
// one profile's prose makes it hot enough for V8's optimising compiler, whose code alone then adds 3.5 MiB to
// the agent's resident memory. The replacement counts the same (UTF-16 length less one per surrogate pair;
// a lone surrogate counts one) with one regular expression.
const UCS2LENGTH = 'exports.default = (s) => s.length - (s.match(/[\\uD800-\\uDBFF][\\uDC00-\\uDFFF]/g)?.length ?? 0);';
for (const [name, schemas] of Object.entries(SHIPPED_VALIDATORS)) {
  const formats = _`require("ajv-formats/dist/formats").fullFormats`;
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, code: { source: true, esm: true, formats } });
  addFormats(ajv);
  for (const [key, file] of Object.entries(schemas)) ajv.addSchema(JSON.parse(readFileSync(join(root, file), 'utf8')), key);
  const exports = Object.fromEntries(Object.keys(schemas).map((key) => [key, key]));
  // The generated module requires ajv's small runtime helpers (and, for formats, ajv-formats'): esbuild inlines them.
  const generated = await build({
    stdin: { contents: standaloneCode(ajv, exports), resolveDir: root, sourcefile: `${name}.mjs`, loader: 'js' },
    bundle: true, platform: 'node', format: 'esm', target: 'node18', minify: true, legalComments: 'none', write: false, logLevel: 'warning',
    plugins: [{
      name: 'ucs2length',
      setup(b) {
        b.onResolve({ filter: /^ajv\/dist\/runtime\/ucs2length$/ }, (args) => ({ path: args.path, namespace: 'edgeprobe-runtime' }));
        b.onLoad({ filter: /.*/, namespace: 'edgeprobe-runtime' }, () => ({ contents: UCS2LENGTH, loader: 'js' }));
      },
    }],
  });
  mkdirSync(dirname(generatedPath(name)), { recursive: true });
  writeFileSync(generatedPath(name), generated.outputFiles[0].text);
}

// Non-TypeScript files the compiled code reads at run time.
function copyAssets(from, to, pattern) {
  for (const entry of readdirSync(from)) {
    const source = join(from, entry);
    if (statSync(source).isDirectory()) copyAssets(source, join(to, entry), pattern);
    else if (pattern.test(entry)) {
      mkdirSync(to, { recursive: true });
      copyFileSync(source, join(to, entry));
    }
  }
}
copyAssets(join(root, 'src'), join(root, 'dist', 'src'), /\.(json|py|sh|css|js)$/);

// Everything under these folders travels inside the agent (see src/platform/package-files.ts).
const BUNDLED_DIRS = ['probes/assets', 'targets'];
function collectFiles(relativeDir, into) {
  const dir = join(root, relativeDir);
  let entries = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return into;
  }
  for (const entry of entries.sort()) {
    const relative = `${relativeDir}/${entry}`;
    if (statSync(join(root, relative)).isDirectory()) collectFiles(relative, into);
    else if (!entry.endsWith('.ts')) into[relative] = readFileSync(join(root, relative), 'utf8');
  }
  return into;
}
const bundledFiles = {};
for (const dir of BUNDLED_DIRS) collectFiles(dir, bundledFiles);

// The streaming probe's Node echo server runs as a child `node -` process with ws inside it: bundled once
// here, read with readPackageFile() from dist/ in a checkout and carried inside the agent.
const NODE18_SCRIPT = { bundle: true, platform: 'node', format: 'cjs', target: 'node18', minify: true, legalComments: 'none' };
const NODE_ECHO_SERVER = 'dist/streaming/node-echo-server.cjs';
const echoServer = await build({
  ...NODE18_SCRIPT,
  entryPoints: [join(root, 'probes', 'lib', 'streaming', 'node-echo-server.ts')],
  write: false,
  logLevel: 'warning',
});
const echoServerText = echoServer.outputFiles[0].text;
mkdirSync(join(root, 'dist', 'streaming'), { recursive: true });
writeFileSync(join(root, NODE_ECHO_SERVER), echoServerText);
bundledFiles[NODE_ECHO_SERVER] = echoServerText;

// The package is ESM but the agent is CommonJS (so `node -` can run it from stdin): mark each folder.
writeFileSync(join(root, 'dist', 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
for (const dir of ['src', 'probes', 'test', 'scripts', 'targets']) {
  if (existsSync(join(root, 'dist', dir))) writeFileSync(join(root, 'dist', dir, 'package.json'), `${JSON.stringify({ type: 'module' })}\n`);
}

await build({
  entryPoints: [join(root, 'src', 'cli', 'agent.ts')],
  outfile: join(root, 'dist', 'edgeprobe-agent.js'),
  ...NODE18_SCRIPT,
  banner: { js: `#!/usr/bin/env node\n// edgeprobe agent ${pkg.version}: one file, no dependencies beside it. Run: node edgeprobe-agent.js run --help` },
  define: {
    EDGEPROBE_BUNDLED_VERSION: JSON.stringify(pkg.version),
    EDGEPROBE_BUNDLED_FILES: JSON.stringify(bundledFiles),
  },
  // The agent uploads through Node's built-in fetch (src/remote/undici-agent-shim.ts) instead of bundling undici.
  alias: { undici: join(root, 'src', 'remote', 'undici-agent-shim.ts') },
  // Only needed off Linux (probes/lib/sysinfo.ts); devices read /proc and /sys directly.
  external: ['systeminformation'],
  plugins: [{
    name: 'shipped-validators',
    setup(b) {
      b.onResolve({ filter: /\/(shipped-validators|report-validator)\.js$/ }, (args) => ({ path: generatedPath(args.path.replace(/^.*\/|\.js$/g, '')) }));
    },
  }],
  logOverride: { 'empty-import-meta': 'silent' },
  logLevel: 'warning',
});

// The POSIX-sh probe with the helpers it carries (probes/posix-sh/assemble.ts): one file to run by hand
// (`ssh pi@zero sh -s < dist/edgeprobe-probe.sh`) or from scripts/edgeprobe-playbook.yml.
const { shProbePayload } = await import(pathToFileURL(join(root, 'dist', 'probes', 'posix-sh', 'assemble.js')).href);
writeFileSync(join(root, 'dist', 'edgeprobe-probe.sh'), shProbePayload());
