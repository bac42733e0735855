"""The binary's functions that callgrind profiles saw run, each once, in
the order they first appear (profile by profile): one mangled name a line,
as lld's --symbol-ordering-file reads them.

    python3 Scripts/startup-order.py BINARY PROFILE.out...
"""
import re
import sys

NAMED = re.compile(r"^(c?ob|c?fn)=\((\d+)\)(?: (.*))?$")


def functions(profile, binary):
    """Yields the names of `binary`'s functions in one callgrind profile, first seen first."""
    objects, names = {}, {}
    current, called = None, None
    with open(profile, errors="replace") as lines:
        for line in lines:
            match = NAMED.match(line.rstrip("\n"))
            if not match:
                continue
            kind, number, name = match.groups()
            if kind in ("ob", "cob"):
                if name:
                    objects[number] = name
                if kind == "ob":
                    current, called = objects.get(number), None
                else:
                    called = objects.get(number)
                continue
            owner = current if kind == "fn" else (called or current)
            if kind == "cfn":
                called = None
            if name and number not in names:
                names[number] = name
                # Addresses stand for code without a symbol; they cannot be ordered.
                if owner == binary and not name.startswith("0x"):
                    yield name


def main():
    binary, profiles = sys.argv[1], sys.argv[2:]
    seen = set()
    for profile in profiles:
        for name in functions(profile, binary):
            if name not in seen:
                seen.add(name)
                print(name)


if __name__ == "__main__":
    main()
