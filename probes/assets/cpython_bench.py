"""A short, fixed-work, pure-Python benchmark, run by the interpreter being judged.

One operation is one pass of the kernel below: attribute access, a method call, dict and list work, string
formatting and integer arithmetic, the kind of work Django does per request in Python itself. A round is a
fixed number of operations; rounds repeat until at least MIN_SECONDS have passed and MIN_ROUNDS have run.
The score is operations per second of the fastest round (the least disturbed by other work on the device).

Usage: python3 cpython_bench.py [MIN_SECONDS]   (or on stdin: python3 - [MIN_SECONDS])
Prints one JSON line: {"operations_per_second", "rounds", "round_operations", "round_seconds", "python"}.
"""
import json
import platform
import sys
import time

ROUND_OPERATIONS = 20000
MIN_ROUNDS = 3
MAX_ROUNDS = 50


class Item(object):
    __slots__ = ("key", "price", "tags")

    def __init__(self, key, price, tags):
        self.key = key
        self.price = price
        self.tags = tags

    def label(self, currency):
        return "%s: %d.%02d %s" % (self.key, self.price // 100, self.price % 100, currency)


def kernel(operations):
    catalogue = {}
    lines = []
    state = 12345
    total = 0
    for i in range(operations):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        key = "k%d" % (state & 255)
        item = catalogue.get(key)
        if item is None:
            item = Item(key, state % 10000, [key[-1]])
            catalogue[key] = item
        else:
            item.price = (item.price + i) % 10000
            if len(item.tags) < 4:
                item.tags.append(key[-1])
        lines.append(item.label("EUR"))
        if len(lines) >= 32:
            total += len("".join(lines))
            del lines[:]
    return total + len(catalogue)


def main():
    min_seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    kernel(ROUND_OPERATIONS // 10)  # warm-up
    times = []
    started = time.perf_counter()
    while len(times) < MAX_ROUNDS and (len(times) < MIN_ROUNDS or time.perf_counter() - started < min_seconds):
        t0 = time.perf_counter()
        kernel(ROUND_OPERATIONS)
        times.append(time.perf_counter() - t0)
    best = min(times)
    sys.stdout.write(json.dumps({
        "operations_per_second": round(ROUND_OPERATIONS / best),
        "rounds": len(times),
        "round_operations": ROUND_OPERATIONS,
        "round_seconds": [round(t, 5) for t in times],
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
    }) + "\n")


if __name__ == "__main__":
    main()
