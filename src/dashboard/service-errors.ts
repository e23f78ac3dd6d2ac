// Errors the client caused, as HTTP statuses with a code, and the checks that raise them before any store work.

/** An error the client caused (or may know about): becomes `{error, message}` with this status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * The path of the first __proto__, constructor or prototype key anywhere in a parsed value, or null.
 * Such keys are harmless to JSON.parse but a trap for any code that later merges or indexes the object,
 * so they are refused at the door. Iterative, so a deeply nested value cannot overflow the stack.
 */
export function prototypeKeyPath(value: unknown): string | null {
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length > 0) {
    const [node, path] = stack.pop() as [unknown, string];
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      for (const [i, item] of node.entries()) stack.push([item, `${path}/${i}`]);
      continue;
    }
    for (const key of Object.keys(node)) {
      const at = `${path}/${key}`;
      if (PROTOTYPE_KEYS.has(key)) return at;
      stack.push([(node as Record<string, unknown>)[key], at]);
    }
  }
  return null;
}

/** 429 for an address that sent too many wrong tokens. */
export function tooManyFailures(retryAfter: number): HttpError {
  return new HttpError(429, 'too_many_requests', `too many failed sign-ins from this address; try again in ${retryAfter} s`, undefined, {
    'retry-after': String(retryAfter),
  });
}
