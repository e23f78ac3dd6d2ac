// Killing the agent in the middle of a streaming phase leaves nothing behind: no process, no listening port,
// no temp directory. SIGINT and SIGTERM go through the agent's handlers; SIGKILL cannot be caught, so the
// servers' lifeline pipes must do the work. What exists is listed before, during and after the kill.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { CLI } from './helpers/cli.js';
import { requireComponent } from './helpers/env.js';
import { listeningPorts, processesWithMarker, waitFor, withIsolatedRun } from './helpers/leftovers.js';
import { channelsStackPresent, DEBIAN_HINT, DEBIAN_PYTHON, start } from './helpers/streaming.js';

const skip = requireComponent(channelsStackPresent(), 'Debian python3-django-channels and python3-daphne', DEBIAN_HINT);

interface KillCase {
  signal: NodeJS.Signals;
  via: 'cli' | 'agent on stdin';
  tiers: string;
  /** Tier whose server must be up, and the phase during which the agent is killed. */
  tier: string;
  phase: RegExp;
}

const CASES: KillCase[] = [
  { signal: 'SIGTERM', via: 'cli', tiers: 'channels', tier: 'channels', phase: /channels: throughput phase, 64 B/ },
  { signal: 'SIGKILL', via: 'agent on stdin', tiers: 'channels', tier: 'channels', phase: /channels: idle connections phase/ },
  { signal: 'SIGINT', via: 'cli', tiers: 'node,python', tier: 'python', phase: /python: latency phase/ },
];

for (const kill of CASES) {
  test(`${kill.signal} to the ${kill.via} during the ${kill.tier} tier leaves no process, port or temp dir`, { timeout: 60_000, skip }, async () => {
    await withIsolatedRun('streaming-kill', async ({ mark, temp, env }) => {
      assert.deepEqual(processesWithMarker(mark), [], 'nothing carries the marker before');
      const args = [
        'run',
        '--only',
        'memory,streaming',
        '--streaming-tiers',
        kill.tiers,
        '--duration',
        '12',
        '--python',
        DEBIAN_PYTHON,
        '--asgi-server',
        'daphne',
        '-v',
      ];
      const agent = start(CLI, args, { env, agentOnStdin: kill.via === 'agent on stdin' });
      const listening = await agent.waitForStderr(new RegExp(`${kill.tier}: listening on 127\\.0\\.0\\.1:(\\d+) \\(pid (\\d+)\\)`), 40_000);
      const port = Number(listening[1]);
      const serverPid = Number(listening[2]);
      await agent.waitForStderr(kill.phase, 40_000);
      await new Promise((resolve) => setTimeout(resolve, 300));

      // During: the agent and its server carry the marker, the server listens, the temp dir holds the project.
      const during = processesWithMarker(mark);
      assert.ok(during.includes(agent.child.pid ?? -1), `the agent is among ${during.join(',')}`);
      assert.ok(during.includes(serverPid), `the ${kill.tier} server (pid ${serverPid}) is among ${during.join(',')}`);
      assert.ok(listeningPorts().has(port), `port ${port} listens during the phase`);
      if (kill.tier === 'channels') assert.equal(readdirSync(temp).length, 1, 'the generated Django project is in TMPDIR');

      agent.child.kill(kill.signal);
      const exit = await agent.exited;
      if (kill.signal === 'SIGKILL') assert.equal(exit.signal, 'SIGKILL');
      else assert.equal(exit.code, kill.signal === 'SIGINT' ? 130 : 143, agent.stderr().slice(-2000));

      // After: nothing with the marker, the port closed, TMPDIR empty (the lifeline may take a moment).
      const gone = await waitFor(() => processesWithMarker(mark).length === 0, 10_000);
      assert.ok(gone, `processes left: ${processesWithMarker(mark).join(',')}`);
      assert.ok(await waitFor(() => !listeningPorts().has(port), 5_000), `port ${port} still listens`);
      assert.ok(await waitFor(() => readdirSync(temp).length === 0, 5_000), `left in TMPDIR: ${readdirSync(temp).join(', ')}`);
    });
  });
}
