// Memory calibration on real ARM userlands: boots each board, runs memory-calibration.py inside it with
// Debian's python3, and writes the figures with how they were obtained (docs/arm-memory-calibration.json).
// Memory figures carry over from a VM to a Pi (the same binaries, page size and allocator); speed does not,
// so nothing here is timed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BOARD_NAMES, type BoardName, bootBoard, ensureBoardImages } from './boards.js';
import { describeExit, repoRoot } from './userland.js';

export const CALIBRATION_FILE = (): string => join(repoRoot(), 'docs', 'arm-memory-calibration.json');

export const METHOD = [
  "Measured inside the lab boards (scripts/lab/build-boards.sh): Debian bookworm userlands booted by Debian's arm64 kernel under qemu-system-aarch64 (-M virt, Cortex-A53, 4 vCPUs); pi3-arm64 has 1 GiB and an arm64 userland, pi-compat32 512 MiB and an armhf userland.",
  "scripts/lab/memory-calibration.py runs there with Debian's python3: a small Django + Channels project (six contrib apps and channels, three views, a WebSocket echo consumer, an in-memory channel layer, sqlite in memory) is served by one process of each server on 127.0.0.1: gunicorn (one sync worker, WSGI), uvicorn and daphne (ASGI).",
  'idle = after the first request to /health; warmed = after a further 300 requests spread over a JSON view (10 and 200 rows), a template view and /health. For gunicorn the measured process is the worker; the master is given apart.',
  "redis-server and nginx are the services the board starts at boot with Debian's default configuration, idle (nginx: master plus worker_processes auto = one worker per CPU).",
  'rssBytes and pssBytes are Rss and Pss from /proc/PID/smaps_rollup; PSS divides shared pages (libpython, libc) among the processes mapping them, so it depends on what else runs.',
  'Memory only: under emulation, time and throughput say nothing about a Pi and are not recorded.',
].join(' ');

export async function calibrate(names: readonly BoardName[] = BOARD_NAMES): Promise<Record<string, unknown>> {
  const images = await ensureBoardImages(names);
  const script = readFileSync(join(repoRoot(), 'scripts', 'lab', 'memory-calibration.py'));
  const boards: Record<string, unknown> = {};
  // One VM at a time: the figures are per process and do not depend on it, but the host has only 2 cores.
  for (const name of names) {
    const image = images.get(name);
    if (!image) throw new Error(`no ${name} image`);
    const vm = await bootBoard(image, { instance: `calibrate-${process.pid}-${name}` });
    try {
      const result = await vm.ssh('python3 -', { input: script, timeoutMs: 30 * 60_000 });
      if (result.code !== 0) throw new Error(`memory-calibration.py on ${name}: ${describeExit(result)}\n${result.stderr.trim()}`);
      const measured = JSON.parse(result.stdout) as Record<string, unknown>;
      boards[name] = {
        vm: { arch: image.spec.arch, cpus: image.spec.cpus, memoryMiB: image.spec.memoryMiB, kernel: image.manifest.kernel, cpu: 'cortex-a53 (TCG)' },
        ...measured,
      };
    } finally {
      await vm.stop();
    }
  }
  return { schema: 'edgeprobe-arm-memory-calibration/1', measuredAt: new Date().toISOString(), method: METHOD, boards };
}

// Calibrating one board keeps the figures of the others already in the file (each board keeps its own
// measuredAt), so `calibrate pi-compat32` adds armhf without redoing arm64.
export async function writeCalibration(names: readonly BoardName[] = BOARD_NAMES): Promise<string> {
  const data = await calibrate(names);
  const file = CALIBRATION_FILE();
  const previous = readPreviousBoards(file, String(data.measuredAt));
  const boards = { ...previous, ...stampBoards(data.boards as Record<string, Record<string, unknown>>, String(data.measuredAt)) };
  writeFileSync(file, `${JSON.stringify({ ...data, boards }, null, 2)}\n`);
  return file;
}

function stampBoards(boards: Record<string, Record<string, unknown>>, measuredAt: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, board] of Object.entries(boards)) out[name] = { measuredAt: board.measuredAt ?? measuredAt, ...board };
  return out;
}

function readPreviousBoards(file: string, fallbackAt: string): Record<string, unknown> {
  try {
    const old = JSON.parse(readFileSync(file, 'utf8')) as { measuredAt?: string; boards?: Record<string, Record<string, unknown>> };
    return stampBoards(old.boards ?? {}, old.measuredAt ?? fallbackAt);
  } catch {
    return {};
  }
}
