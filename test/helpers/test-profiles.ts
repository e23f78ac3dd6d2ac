// Deployment profiles for tests whose subject is not the verdict: one check on effective memory, that every
// device passes ("lenient") or none does ("tight"), so exit codes do not depend on the machine running the tests.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadProfile } from '../../src/judge/profiles.js';

export function writeTestProfiles(dir: string): { lenient: string; tight: string } {
  const inherited = loadProfile('django-channels').checks.map((c) => c.id);
  const write = (name: string, fail: string): string => {
    const file = join(dir, `${name}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        name: `test-${name}`,
        title: `test profile (${name})`,
        description: 'One check on effective memory.',
        extends: 'django-channels',
        remove: inherited,
        checks: [
          {
            id: 'test.memory',
            title: 'Memory',
            metric: 'memory.effective_total_bytes',
            operator: '>=',
            fail,
            message: 'Memory is needed.',
            advice: 'Add memory.',
            sources: ['test'],
          },
        ],
      }),
    );
    return file;
  };
  return { lenient: write('lenient', '1 MiB'), tight: write('tight', '1024 GiB') };
}
