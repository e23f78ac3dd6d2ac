// Real cgroup v1 groups for tests, made as root under /sys/fs/cgroup/<controller>/ and removed afterwards.
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { executable, requireComponent } from './env.js';

export const CGROUP_V1 = '/sys/fs/cgroup';

/** For node:test's `skip`: root, these v1 controllers mounted, and cgexec. */
export function requireCgroupV1(controllers: readonly string[]): false | string {
  const writable = process.getuid?.() === 0 && controllers.every((c) => existsSync(`${CGROUP_V1}/${c}/cgroup.procs`));
  return requireComponent(writable && executable('/usr/bin/cgexec'), `writable cgroup v1 ${controllers.join(', ')} and cgexec`, 'run as root; cgroup-tools');
}

/** Makes a group with the given control files set; returns its remover. */
export function makeGroup(controller: string, name: string, settings: Record<string, string>): () => void {
  const dir = `${CGROUP_V1}/${controller}/${name}`;
  mkdirSync(dir);
  for (const [file, value] of Object.entries(settings)) writeFileSync(`${dir}/${file}`, value);
  return () => {
    // Retried: the kernel may still be detaching the exited process.
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        rmdirSync(dir);
        return;
      } catch {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      }
    }
  };
}
