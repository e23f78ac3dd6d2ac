// Used only inside the one-file agent (scripts/build.mjs aliases 'undici' to this file): the subset of
// undici's API that src/remote/upload.ts uses, over the fetch built into Node >= 18 (itself undici). Bundling the
// undici package would more than double the agent that is streamed to every device.
export interface AgentOptions {
  connect?: { timeout?: number };
  headersTimeout?: number;
  bodyTimeout?: number;
}

export class Agent {
  constructor(readonly options: AgentOptions = {}) {}
  async close(): Promise<void> {
    // fetch pools its own connections
  }
}

export interface RequestOptions {
  method: string;
  headers: Record<string, string>;
  body: string;
  dispatcher?: Agent;
  signal?: AbortSignal;
}

export async function request(url: string, options: RequestOptions): Promise<{ statusCode: number; headers: Record<string, string>; body: { text(): Promise<string> } }> {
  const timeout = options.dispatcher?.options.headersTimeout;
  const signals = [options.signal, timeout ? AbortSignal.timeout(timeout) : undefined].filter((s): s is AbortSignal => s !== undefined);
  const signal = signals.length > 1 ? anySignal(signals) : signals[0];
  const response = await fetch(url, { method: options.method, headers: options.headers, body: options.body, ...(signal ? { signal } : {}) });
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  return { statusCode: response.status, headers, body: { text: () => response.text() } };
}

/** AbortSignal.any is Node >= 20.3; the agent runs on 18. */
function anySignal(signals: AbortSignal[]): AbortSignal {
  const controller = new AbortController();
  for (const s of signals) {
    if (s.aborted) controller.abort(s.reason);
    else s.addEventListener('abort', () => controller.abort(s.reason), { once: true });
  }
  return controller.signal;
}
