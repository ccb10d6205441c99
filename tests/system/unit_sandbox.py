"""Run a command under the seccomp rules a systemd unit file asks for, without systemd (which is not PID 1 in
CI): `python unit_sandbox.py UNIT -- COMMAND...` loads the unit's `SystemCallFilter=` (an allow list, minus
the `~` lines, with `SystemCallErrorNumber=` for the rest) and `MemoryDenyWriteExecute=` (no mapping both
writable and executable, no mprotect to executable, no executable shmat: systemd 252's seccomp rules), sets
no_new_privs and execs COMMAND. The syscall groups come from `systemd-analyze syscall-filter`, the rules are
loaded through libseccomp (installed with systemd).

What it does not emulate: the mount namespace (ProtectSystem, PrivateTmp...), RestrictAddressFamilies,
capabilities. The test runs as whatever user it is.
"""

from __future__ import annotations

import ctypes
import errno
import mmap
import os
import re
import subprocess
import sys
from pathlib import Path

SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_MASKED_EQ = 7
SHM_EXEC = 0o100000


def scmp_act_errno(code: int) -> int:
    return 0x00050000 | (code & 0xFFFF)


class ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64),
                ("datum_b", ctypes.c_uint64)]


def unit_settings(unit: Path, key: str) -> list[str]:
    """Every value of `key=` in the [Service] section, in order (continuation lines joined)."""
    text = re.sub(r"\\\n\s*", " ", unit.read_text(encoding="utf-8"))
    return [line.split("=", 1)[1].strip() for line in text.splitlines() if line.startswith(f"{key}=")]


def syscall_groups() -> dict[str, list[str]]:
    """`systemd-analyze syscall-filter`: each @group and its members (syscalls and @groups)."""
    listing = subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True, text=True,
                             check=True).stdout
    groups: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in listing.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not raw.startswith((" ", "\t")) and line.startswith("@"):
            current = groups.setdefault(line, [])
        elif current is not None:
            current.append(line)
    return groups


def expand(names: list[str], groups: dict[str, list[str]]) -> set[str]:
    found: set[str] = set()
    for name in names:
        found |= expand(groups[name], groups) if name.startswith("@") else {name}
    return found


def allowed_syscalls(unit: Path) -> tuple[set[str], int]:
    """systemd's semantics: the first line is an allow list (no `~`); each `~` line then removes names."""
    groups = syscall_groups()
    allowed: set[str] = set()
    for value in unit_settings(unit, "SystemCallFilter"):
        if value.startswith("~"):
            allowed -= expand(value[1:].split(), groups)
        else:
            allowed |= expand(value.split(), groups)
    if not allowed:
        raise SystemExit(f"{unit}: no allow-list SystemCallFilter= to emulate")
    names = unit_settings(unit, "SystemCallErrorNumber")
    code = getattr(errno, names[-1]) if names else errno.EPERM  # systemd would kill; EPERM is what we set
    return allowed, code


def load_filter(unit: Path) -> None:
    allowed, code = allowed_syscalls(unit)
    mdwe = any(v.lower() in ("yes", "true", "1") for v in unit_settings(unit, "MemoryDenyWriteExecute"))
    lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint,
                                           ctypes.POINTER(ArgCmp)]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    context = lib.seccomp_init(scmp_act_errno(code))
    guarded = {"mmap", "mmap2", "mprotect", "pkey_mprotect", "shmat"} if mdwe else set()

    def allow(name: str, *conditions: tuple[int, int, int]) -> None:
        number = lib.seccomp_syscall_resolve_name(name.encode())
        if number < 0:  # a name this libseccomp does not know (another architecture's)
            return
        array = (ArgCmp * max(len(conditions), 1))(
            *[ArgCmp(arg, SCMP_CMP_MASKED_EQ, mask, value) for arg, mask, value in conditions])
        if lib.seccomp_rule_add_array(context, SCMP_ACT_ALLOW, number, len(conditions), array) != 0:
            raise SystemExit(f"seccomp_rule_add {name} failed")

    for name in sorted(allowed - guarded):
        allow(name)
    write_exec = mmap.PROT_WRITE | mmap.PROT_EXEC
    for name in sorted(allowed & guarded):
        if name in ("mmap", "mmap2"):  # any protection but writable *and* executable
            for prot in (0, mmap.PROT_WRITE, mmap.PROT_EXEC):
                allow(name, (2, write_exec, prot))
        elif name in ("mprotect", "pkey_mprotect"):  # never to executable
            allow(name, (2, mmap.PROT_EXEC, 0))
        else:  # shmat without SHM_EXEC
            allow(name, (2, SHM_EXEC, 0))
    if lib.seccomp_load(context) != 0:
        raise SystemExit("seccomp_load failed")


def main(argv: list[str]) -> None:
    if len(argv) < 3 or argv[1] != "--":
        raise SystemExit("usage: unit_sandbox.py UNIT -- COMMAND...")
    load_filter(Path(argv[0]))
    os.execvp(argv[2], argv[2:])


if __name__ == "__main__":
    main(sys.argv[1:])
