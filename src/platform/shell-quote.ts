// Quoting for POSIX sh: the one way any argument reaches a remote shell.
/** Quotes one word for the remote login shell (ssh hands the command line to it as one string). */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
