# SPDX-License-Identifier: BSD-2-Clause
"""tap.py: TAP for the Python test scripts (the twin of tap.h).

    from tap import ok, done
    ok(1 + 1 == 2, "arithmetic works", details)
    sys.exit(done())
"""
_n = 0
_failed = 0


def ok(cond, msg, details=''):
    """One test point; on failure, details (a string or lines) go out as
    comments."""
    global _n, _failed
    _n += 1
    if not cond:
        _failed += 1
    print(f"{'' if cond else 'not '}ok {_n} - {msg}", flush=True)
    if cond:
        return cond
    if isinstance(details, str):
        details = details.splitlines()[-15:]
    for line in details:
        print(f"#   {line}", flush=True)
    return cond


def done():
    """Print the plan; 0 when every point passed (and at least one ran)."""
    print(f"1..{_n}", flush=True)
    return 0 if _failed == 0 and _n > 0 else 1
