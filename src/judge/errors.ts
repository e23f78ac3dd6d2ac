// A profile, spec sheet or comparison subject that cannot be used as given. The CLI prints the message
// without a stack and exits 2; the dashboard answers 400.
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
