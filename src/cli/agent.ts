// Entry point of the one-file agent (dist/edgeprobe-agent.js): the `run` command only, with the same options.
// It is streamed to devices as `node - run ...`, so it must not read anything from beside itself.

import { registerRun } from './commands/run.js';
import { onTerminationSignal, runProgram } from './kit.js';

onTerminationSignal((code) => process.exit(code));
void runProgram('edgeprobe-agent', 'edgeprobe device agent', [registerRun], process.argv.slice(2)).then((code) => {
  process.stdout.write('', () => process.exit(code));
});
