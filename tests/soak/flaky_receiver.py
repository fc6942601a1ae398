#!/usr/bin/env python3
"""The notify tests' receiver (tests/notify/receiver.py), failing on purpose:
every tenth request (counted across all threads) is answered 500 without
checking; the others are checked as Flux / Argo CD check them.  Same
arguments as receiver.py, except --mode-file, which is ignored."""
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "notify"))
import receiver  # noqa: E402

EVERY = int(os.environ.get("SOAK_FAIL_EVERY", "10"))


class FlakyState(receiver.State):
    def __init__(self, args):
        super().__init__(args)
        self.count = 0
        self.count_lock = threading.Lock()

    def mode(self):
        with self.count_lock:
            self.count += 1
            n = self.count
        return "500" if EVERY > 0 and n % EVERY == 0 else "ok"


receiver.State = FlakyState

if __name__ == "__main__":
    receiver.main()
