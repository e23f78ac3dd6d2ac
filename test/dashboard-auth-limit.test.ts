// The failed-sign-in limiter on its own: per address, a fixed window from the first failure, bounded memory.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthLimiter } from '../src/dashboard/http/auth.js';

test('an address is blocked after maxFailures within the window, until the window ends; others are not', () => {
  const limiter = new AuthLimiter(3, 60_000);
  const t0 = 1_000_000;
  for (let i = 0; i < 2; i++) limiter.fail('10.0.0.1', t0 + i);
  assert.equal(limiter.retryAfter('10.0.0.1', t0 + 10), 0);
  limiter.fail('10.0.0.1', t0 + 20);
  assert.equal(limiter.retryAfter('10.0.0.1', t0 + 30), 60);
  assert.equal(limiter.retryAfter('10.0.0.1', t0 + 59_500), 1);
  assert.equal(limiter.retryAfter('10.0.0.2', t0 + 30), 0);
  assert.equal(limiter.retryAfter('10.0.0.1', t0 + 60_000), 0, 'the window is over');
  limiter.fail('10.0.0.1', t0 + 60_001);
  assert.equal(limiter.retryAfter('10.0.0.1', t0 + 60_002), 0, 'a new window starts with one failure');
});

test('memory is bounded: beyond maxAddresses the oldest entry goes', () => {
  const limiter = new AuthLimiter(1, 60_000, 100);
  for (let i = 0; i < 1000; i++) limiter.fail(`10.0.${i >> 8}.${i & 255}`, 5);
  let blocked = 0;
  for (let i = 0; i < 1000; i++) if (limiter.retryAfter(`10.0.${i >> 8}.${i & 255}`, 6) > 0) blocked++;
  assert.equal(blocked, 100);
  assert.ok(limiter.retryAfter('10.0.3.231', 6) > 0, 'the newest is kept');
});
