// A mistake in what the user gave (a flag, a file, an address): printed without a stack, exit code 2.
// The CLI kit (src/cli/kit.ts) is where it becomes an exit code; lower layers only throw it.
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
