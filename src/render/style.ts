// Colour only for people at a terminal, and never when NO_COLOR is set (https://no-color.org).
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  red(text: string): string;
  cyan(text: string): string;
}

const wrap =
  (open: number, close: number) =>
  (text: string): string =>
    `\u001b[${open}m${text}\u001b[${close}m`;

const COLOURED: Style = { bold: wrap(1, 22), dim: wrap(2, 22), green: wrap(32, 39), yellow: wrap(33, 39), red: wrap(31, 39), cyan: wrap(36, 39) };
const identity = (text: string): string => text;
const PLAIN: Style = { bold: identity, dim: identity, green: identity, yellow: identity, red: identity, cyan: identity };

export function styleFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Style {
  const noColor = env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '';
  return stream.isTTY === true && !noColor && env['TERM'] !== 'dumb' ? COLOURED : PLAIN;
}

export function plainStyle(): Style {
  return PLAIN;
}
