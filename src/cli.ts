// The edgeprobe command line. The only place (with the agent bundle's entry) that calls process.exit.
import { onTerminationSignal, runProgram } from './cli-kit.js';
import { registerCheck } from './commands/check.js';
import { registerCompare } from './commands/compare.js';
import { registerRun } from './commands/run.js';
import { registerSsh } from './commands/ssh.js';
import { registerTargets } from './commands/targets.js';

onTerminationSignal((code) => process.exit(code));
const code = await runProgram('edgeprobe', 'Can this device run a Django / Django Channels deployment, and how much of one?', [registerRun, registerSsh, registerCheck, registerCompare, registerTargets], process.argv.slice(2));
// Exit once everything written so far has reached stdout, so a piped report is never cut short.
process.stdout.write('', () => process.exit(code));
