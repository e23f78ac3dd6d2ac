// The edgeprobe command line. The only place (with the agent bundle's entry) that calls process.exit.

import { registerCheck } from './commands/check.js';
import { registerCompare } from './commands/compare.js';
import { registerRun } from './commands/run.js';
import { registerServe } from './commands/serve.js';
import { registerSsh } from './commands/ssh.js';
import { registerTargets } from './commands/targets.js';
import { registerUpload } from './commands/upload.js';
import { onTerminationSignal, runProgram } from './kit.js';

onTerminationSignal((code) => process.exit(code));
const code = await runProgram(
  'edgeprobe',
  'Can this device run a Django / Django Channels deployment, and how much of one?',
  [registerRun, registerSsh, registerCheck, registerCompare, registerTargets, registerServe, registerUpload],
  process.argv.slice(2),
);
// Exit once everything written so far has reached stdout, so a piped report is never cut short.
process.stdout.write('', () => process.exit(code));
