// `edgeprobe upload FILE... --to URL --token T` and `edgeprobe upload --flush`: send reports to a dashboard,
// spooling what cannot be delivered now (see src/remote/upload.ts).
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { readCaFile } from '../../remote/ca-file.js';
import {
  DEFAULT_UPLOAD_OPTIONS,
  dashboardEndpoint,
  defaultSpoolDir,
  describeFlush,
  describeOutcome,
  flushSpool,
  listSpool,
  sendOrSpool,
  type UploadOptions,
} from '../../remote/upload.js';
import { parseReport } from '../../report/validate.js';
import { type CommandRegistration, EXIT, parsePositiveNumber, UsageError } from '../kit.js';

export interface UploadCommandOptions {
  to?: string;
  token?: string;
  flush?: boolean;
  spool?: string;
  timeout: number;
  retries: number;
  list?: boolean;
  ca?: string;
}

function parseRetries(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 20) throw new UsageError('--retries must be a whole number from 0 to 20');
  return n;
}

async function uploadOptions(opts: UploadCommandOptions): Promise<UploadOptions> {
  return {
    ...DEFAULT_UPLOAD_OPTIONS,
    timeoutMs: opts.timeout * 1000,
    retries: opts.retries,
    log: (line) => process.stderr.write(`${line}\n`),
    ...(opts.ca !== undefined ? { ca: await readCaFile(opts.ca) } : {}),
  };
}

export async function run(files: string[], opts: UploadCommandOptions): Promise<number> {
  const spoolDir = opts.spool ?? defaultSpoolDir();
  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  if (opts.list) {
    const spooled = listSpool(spoolDir);
    for (const file of spooled) {
      out(
        file.entry
          ? `${file.entry.report.id}  for ${file.entry.to}  since ${file.entry.spooledAt}  (${file.entry.lastError})`
          : `${file.path}: ${file.problem ?? ''}`,
      );
    }
    out(`${spooled.length} report(s) in ${spoolDir}`);
    return EXIT.ok;
  }
  if (files.length === 0 && !opts.flush) throw new UsageError('name the report files to upload (or - for stdin), or pass --flush to send the spooled ones');
  const target = dashboardEndpoint(opts.to, opts.token, { url: files.length > 0 });
  const options = await uploadOptions(opts);
  let rejected = 0;
  let pending = 0;
  for (const file of files) {
    let text: string;
    try {
      text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    const check = parseReport(text);
    if (!check.ok) {
      process.stderr.write(`edgeprobe: ${file}: not sent, not a valid report: ${check.errors.join('; ')}\n`);
      rejected++;
      continue;
    }
    const sent = await sendOrSpool({ url: target.url ?? '', token: target.token }, check.report, spoolDir, options);
    out(`${file}: ${describeOutcome(sent.outcome)}`);
    if (sent.spooledTo) {
      out(`${file}: spooled to ${sent.spooledTo}; \`edgeprobe upload --flush\` (or the next upload) sends it`);
      pending++;
    }
    if (sent.outcome.kind === 'rejected') rejected++;
    if (sent.flushed) {
      describeFlush(sent.flushed, out);
      pending += sent.flushed.remaining;
    }
  }
  if (opts.flush) {
    const select = target.url ? { redirect: target.url } : {};
    const flushed = await flushSpool(spoolDir, target.token, options, select);
    describeFlush(flushed, out);
    out(`flush: ${flushed.delivered.length} delivered, ${flushed.rejected.length} set aside, ${flushed.remaining} waiting (${spoolDir})`);
    rejected += flushed.rejected.length;
    pending += flushed.remaining;
  }
  if (rejected > 0) return EXIT.notViable;
  return pending > 0 ? EXIT.unknown : EXIT.ok;
}

export const registerUpload: CommandRegistration = (program: Command, setExitCode) => {
  program
    .command('upload')
    .description('send reports to an edgeprobe dashboard; what cannot be delivered now is spooled and sent later')
    .argument('[files...]', 'report files (JSON, edgeprobe.report/v1); - reads one from stdin')
    .option('--to <url>', 'the dashboard, e.g. http://dashboard.local:8080 (default: $EDGEPROBE_DASHBOARD)')
    .option('--token <token>', 'a token with the upload scope (default: $EDGEPROBE_TOKEN)')
    .option('--flush', 'send the spooled reports (to --to if given, else to the dashboard each was meant for)')
    .option('--list', 'list the spooled reports and exit')
    .option('--spool <dir>', 'spool directory (default: $EDGEPROBE_SPOOL or ~/.local/state/edgeprobe/spool)')
    .option('--timeout <seconds>', 'per attempt: connect, answer headers and body', parsePositiveNumber('--timeout'), 15)
    .option('--ca <file>', "PEM certificate of the CA that signs an https:// dashboard's certificate (trusted instead of the system's CAs)")
    .option('--retries <n>', 'further attempts after network errors and 5xx, with exponential backoff', parseRetries, 3)
    .action(async (files: string[], opts: UploadCommandOptions) => setExitCode(await run(files, opts)));
};
