#!/usr/bin/env python3
"""Boots real kernels under qemu-system with rawinit as /sbin/init, and the
same scenarios with busybox's init as the baseline.

Called by `.ci/board`, which fetches Debian's 6.1 kernels and busybox-static
for each architecture and builds rawinit. Usage:

    board.py --arch amd64 --kernel VMLINUZ --busybox BUSYBOX --rawinit RAWINIT \
             [--modules KERNEL_MODULES_DIR] [--json OUT] [--only SCENARIO]

Each scenario builds an initramfs (a newc cpio written here: /dev/console,
busybox and its applets, an /etc/inittab, /sbin/init), boots it with
`panic=-1 -no-reboot`, reads the serial console, and checks what it must
show. The table at the end gives, per scenario, rawinit's result and
busybox's.
"""

import argparse
import json
import os
import re
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time

APPLETS = """sh ash echo cat sleep kill mount umount insmod grep seq ls wc true false
printf test [ sync reboot poweroff halt ps sed dmesg tail""".split()

ARCHES = {
    # `keyboard`: what makes QMP's send-key reach the kernel's keyboard
    # handler (its Ctrl-Alt-Del): amd64's i8042 and atkbd are built in; the
    # arm virt machines get a virtio keyboard, whose drivers are modules
    # loaded by a sysinit entry.
    "amd64": {
        "qemu": ["qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-m", "256"],
        "console": "ttyS0",
        "keyboard": ([], []),
    },
    "arm64": {
        "qemu": ["qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a57", "-m", "256"],
        "console": "ttyAMA0",
        "keyboard": (["-global", "virtio-mmio.force-legacy=false", "-device", "virtio-keyboard-device"], ["virtio/virtio_mmio.ko", "virtio/virtio_input.ko"]),
    },
    "armhf": {
        "qemu": ["qemu-system-arm", "-M", "virt", "-cpu", "cortex-a15", "-m", "256"],
        "console": "ttyAMA0",
        "keyboard": (["-global", "virtio-mmio.force-legacy=false", "-device", "virtio-keyboard-device"], ["virtio/virtio_mmio.ko", "virtio/virtio_input.ko"]),
    },
}

# What the kernel prints for each reboot(2) command.
POWER_DOWN = "reboot: Power down"
RESTART = "reboot: Restarting system"
HALTED = "reboot: System halted"
PANIC = "Kernel panic"


class Cpio:
    """A newc cpio archive, written in memory."""

    def __init__(self):
        self.data = bytearray()
        self.ino = 1

    def _entry(self, name, mode, body=b"", rdev=(0, 0)):
        name_b = name.encode() + b"\0"
        fields = [self.ino, mode, 0, 0, 1, 0, len(body), 0, 0, rdev[0], rdev[1], len(name_b), 0]
        self.ino += 1
        self.data += b"070701" + b"".join(b"%08X" % f for f in fields)
        self.data += name_b
        self.data += b"\0" * (-len(self.data) % 4)
        self.data += body
        self.data += b"\0" * (-len(self.data) % 4)

    def dir(self, name):
        self._entry(name, stat.S_IFDIR | 0o755)

    def file(self, name, body, mode=0o644):
        self._entry(name, stat.S_IFREG | mode, body)

    def symlink(self, name, target):
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, name, major, minor):
        self._entry(name, stat.S_IFCHR | 0o600, rdev=(major, minor))

    def finish(self):
        self._entry("TRAILER!!!", 0)
        return bytes(self.data)


def initramfs(init_kind, args, inittab, extra=None):
    c = Cpio()
    for d in ["bin", "sbin", "dev", "proc", "sys", "etc", "tmp", "lib", "lib/modules"]:
        c.dir(d)
    c.chardev("dev/console", 5, 1)
    c.chardev("dev/null", 1, 3)
    with open(args.busybox, "rb") as f:
        c.file("bin/busybox", f.read(), 0o755)
    for applet in APPLETS:
        c.symlink("bin/" + applet, "busybox")
    if init_kind == "rawinit":
        with open(args.rawinit, "rb") as f:
            c.file("sbin/init", f.read(), 0o755)
    else:
        c.symlink("sbin/init", "/bin/busybox")
    if args.modules:
        # softdog and the watchdog core it may need; the keyboard's drivers.
        wanted = ["watchdog/watchdog.ko", "watchdog/softdog.ko"] + ARCHES[args.arch]["keyboard"][1]
        for mod in wanted:
            path = os.path.join(args.modules, "drivers", mod)
            if os.path.exists(path):
                with open(path, "rb") as f:
                    c.file("lib/modules/" + os.path.basename(mod), f.read())
    if inittab is not None:
        c.file("etc/inittab", inittab.encode())
    c.dir("etc/init.d")
    for name, body in (extra or {}).items():
        c.file(name, body.encode(), 0o755)
    return c.finish()


# Scripts every scenario may use. `mark` prints a line with the uptime, so
# that times can be read off the console.
COMMON = {
    "bin/mark": "#!/bin/sh\nread up idle < /proc/uptime\necho \"MARK $* @$up\"\n",
    "bin/mounts": "#!/bin/sh\nmount -t proc proc /proc\nmount -t sysfs sys /sys\n"
    "mount -t devtmpfs dev /dev 2>/dev/null\nexit 0\n",
}


def scenario_order():
    """sysinit, wait, once, respawn in busybox's order; orphans reaped;
    PID 1 idle; SIGHUP reload; boot time to the first once entry; ends with
    SIGUSR2 (power off)."""
    tab = (
        "::sysinit:/bin/mounts\n"
        "::sysinit:/bin/mark sysinit-1\n"
        "::sysinit:/bin/sh -c 'sleep 0.3; /bin/mark sysinit-2'\n"
        "::wait:/bin/mark wait-1\n"
        "::once:/bin/mark once-1\n"
        "::once:/bin/scenario\n"
    )
    script = (
        "#!/bin/sh\n"
        # orphans: 50 subshells whose parents exit at once
        "for i in $(seq 50); do (sleep 0.5 &); done\n"
        "sleep 2\n"
        "z=0; for s in /proc/[0-9]*/status; do grep -q '^State:.*Z' $s && z=$((z+1)); done\n"
        "echo \"ZOMBIES $z\"\n"
        # idle: PID 1's voluntary context switches over 3 s
        "a=$(grep ^voluntary_ctxt /proc/1/status | sed 's/[^0-9]//g')\n"
        "sleep 3\n"
        "b=$(grep ^voluntary_ctxt /proc/1/status | sed 's/[^0-9]//g')\n"
        "echo \"IDLE_SWITCHES $((b-a))\"\n"
        # reload: a new respawn entry
        "echo '::respawn:/bin/sh -c \"/bin/mark reloaded; exec sleep 1000\"' >> /etc/inittab\n"
        "kill -HUP 1\n"
        "sleep 2\n"
        "kill -USR2 1\n"
    )
    return tab, {"bin/scenario": script}


def scenario_respawn():
    """A service that dies at once: busybox restarts it every second;
    rawinit after 0.5, 1, 2, 4 s."""
    tab = "::sysinit:/bin/mounts\n::respawn:/bin/mark respawn\n::once:/bin/sh -c 'sleep 9; kill -USR2 1'\n"
    return tab, {}


def scenario_signal(sig):
    def build():
        tab = "::sysinit:/bin/mounts\n::once:/bin/sh -c '/bin/mark ready; sleep 1; kill -%s 1'\n" % sig
        return tab, {}

    build.__doc__ = "SIG%s from a service" % sig
    return build


def scenario_stubborn():
    """A service that ignores SIGTERM does not hold power-off long."""
    tab = (
        "::sysinit:/bin/mounts\n"
        "::once:/bin/sh -c 'trap \"\" TERM; exec sleep 1000'\n"
        "::once:/bin/sh -c 'sleep 1; /bin/mark poweroff; kill -USR2 1'\n"
        "::shutdown:/bin/mark shutdown-entry\n"
    )
    return tab, {}


def scenario_cad():
    """Ctrl-Alt-Del through QMP runs the ctrlaltdel entries."""
    tab = (
        "::sysinit:/bin/mounts\n"
        "::sysinit:/bin/keyboard\n"
        "::once:/bin/mark ready\n"
        "::ctrlaltdel:/bin/sh -c '/bin/mark ctrlaltdel; kill -USR2 1'\n"
    )
    keyboard = (
        "#!/bin/sh\n"
        "for m in virtio_mmio virtio_input; do\n"
        "  [ -e /lib/modules/$m.ko ] && insmod /lib/modules/$m.ko\n"
        "done\n"
        # wait for the keyboard to be an input device
        "for i in $(seq 50); do grep -q kbd /proc/bus/input/devices && break; sleep 0.1; done\n"
        "grep -q kbd /proc/bus/input/devices && echo KEYBOARD ok || echo KEYBOARD none\n"
    )
    return tab, {"bin/keyboard": keyboard}


def scenario_watchdog():
    """softdog with a 2 s margin: PID 1 pets it; no reset in 8 s, then a
    clean power-off."""
    tab = (
        "::sysinit:/bin/mounts\n"
        "::sysinit:/bin/sh -c '[ -e /lib/modules/watchdog.ko ] && insmod /lib/modules/watchdog.ko; "
        "insmod /lib/modules/softdog.ko soft_margin=2'\n"
        "::once:/bin/sh -c 'sleep 8; /bin/mark still-alive; kill -USR2 1'\n"
    )
    return tab, {}


def scenario_no_inittab():
    """No /etc/inittab: busybox's defaults (/etc/init.d/rcS at sysinit, a
    shell on the console after Enter), never a panic."""
    rcs = "#!/bin/sh\n/bin/mounts\n/bin/mark rcS\n(sleep 2; kill -USR2 1) &\n"
    return None, {"etc/init.d/rcS": rcs}


def scenario_env():
    """What a service gets: the console as stdin/stdout/stderr, a session
    of its own, a sane environment."""
    script = (
        "#!/bin/sh\n"
        "read pid comm state ppid pgrp sid rest < /proc/self/stat\n"
        "echo \"SESSION_LEADER $([ $sid = $$ ] && echo yes || echo no)\"\n"
        "echo \"STDIN $(ls -l /proc/self/fd/0 | sed 's/.*-> //')\"\n"
        "echo \"ENV PATH=$PATH HOME=$HOME TERM=$TERM\"\n"
        "kill -USR2 1\n"
    )
    return "::sysinit:/bin/mounts\n::once:/bin/envcheck\n", {"bin/envcheck": script}


def scenario_askfirst():
    """An askfirst shell on the console: the prompt, then a shell once
    Enter is pressed (typed into the serial line)."""
    return "::sysinit:/bin/mounts\n::askfirst:-/bin/sh\n", {}


SCENARIOS = {
    "order": scenario_order,
    "respawn": scenario_respawn,
    "usr1": scenario_signal("USR1"),
    "usr2": scenario_signal("USR2"),
    "term": scenario_signal("TERM"),
    "stubborn": scenario_stubborn,
    "ctrlaltdel": scenario_cad,
    "watchdog": scenario_watchdog,
    "no-inittab": scenario_no_inittab,
    "env": scenario_env,
    "askfirst": scenario_askfirst,
}


def boot(args, init_kind, name, limit):
    tab, extra = SCENARIOS[name]()
    files = dict(COMMON)
    files.update(extra)
    arch = ARCHES[args.arch]
    with tempfile.TemporaryDirectory() as tmp:
        ir = os.path.join(tmp, "ir.cpio")
        with open(ir, "wb") as f:
            f.write(initramfs(init_kind, args, tab, files))
        qmp_path = os.path.join(tmp, "qmp")
        cmd = arch["qemu"] + [
            "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot", "-kernel", args.kernel, "-initrd", ir,
            "-append", "console=%s panic=-1 rdinit=/sbin/init printk.time=1 loglevel=4"
            % arch["console"],
            "-qmp", "unix:%s,server,nowait" % qmp_path,
        ] + arch["keyboard"][0]
        start = time.monotonic()
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        out = []
        done = threading.Event()

        def reader():
            # Chunks as they come, not lines: a prompt has no newline.
            while True:
                chunk = os.read(p.stdout.fileno(), 4096)
                if not chunk:
                    break
                out.append(chunk.decode(errors="replace").replace("\r", ""))
            done.set()

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        sent_cad = False
        typed = False
        while not done.is_set() and time.monotonic() - start < limit:
            text = "".join(out)
            if name == "ctrlaltdel" and not sent_cad and "MARK ready" in text:
                qmp_send_cad(qmp_path)
                sent_cad = True
            if name == "askfirst" and not typed and "activate this console" in text:
                time.sleep(0.5)
                p.stdin.write(b"\recho SHELL $0 on $(ls -l /proc/$$/fd/0 | sed 's/.*-> //'); kill -USR2 1\r")
                p.stdin.flush()
                typed = True
            if HALTED in text:  # qemu stays up after a halt
                time.sleep(0.5)
                break
            time.sleep(0.1)
        timed_out = p.poll() is None and HALTED not in "".join(out)
        if p.poll() is None:
            p.kill()
        p.wait()
        t.join(timeout=2)
        return "".join(out), time.monotonic() - start, timed_out


def qmp_send_cad(path):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    f = s.makefile("rw")
    f.readline()
    for msg in [{"execute": "qmp_capabilities"},
                {"execute": "send-key", "arguments": {"keys": [
                    {"type": "qcode", "data": "ctrl"}, {"type": "qcode", "data": "alt"},
                    {"type": "qcode", "data": "delete"}]}}]:
        f.write(json.dumps(msg) + "\n")
        f.flush()
        f.readline()
    s.close()


def marks(text, label):
    return [float(m) for m in re.findall(r"MARK %s @([0-9.]+)" % re.escape(label), text)]


def kernel_time(text, what):
    m = re.search(r"\[\s*([0-9.]+)\]\s*" + re.escape(what), text)
    return float(m.group(1)) if m else None


def check(name, text, init_kind):
    """Returns (ok, summary) for a scenario's console output."""
    if PANIC in text:
        return False, "kernel panic"
    if name == "order":
        order = [m for m in re.findall(r"MARK (\S+) @", text)
                 if m in ("sysinit-1", "sysinit-2", "wait-1", "once-1")]
        z = re.search(r"ZOMBIES (\d+)", text)
        idle = re.search(r"IDLE_SWITCHES (-?\d+)", text)
        first_once = marks(text, "once-1")
        ok = (order == ["sysinit-1", "sysinit-2", "wait-1", "once-1"]
              and z is not None and z.group(1) == "0"
              and idle is not None and idle.group(1) == "0"
              and "MARK reloaded" in text and POWER_DOWN in text)
        return ok, "order %s, zombies %s, idle switches %s, reload %s, first once at %ss" % (
            "ok" if order == ["sysinit-1", "sysinit-2", "wait-1", "once-1"] else order,
            z.group(1) if z else "?", idle.group(1) if idle else "?",
            "ok" if "MARK reloaded" in text else "no",
            "%.2f" % first_once[0] if first_once else "?")
    if name == "respawn":
        starts = marks(text, "respawn")
        gaps = [round(b - a, 2) for a, b in zip(starts, starts[1:])]
        if init_kind == "rawinit":
            growing = len(gaps) >= 3 and all(b > a * 1.5 for a, b in zip(gaps, gaps[1:4]))
            ok = growing and POWER_DOWN in text
        else:
            ok = len(gaps) >= 3 and POWER_DOWN in text
        return ok, "restart gaps %s s" % gaps[:6]
    if name in ("usr1", "usr2", "term"):
        want = {"usr1": HALTED, "usr2": POWER_DOWN, "term": RESTART}[name]
        return want in text, want if want in text else "no '%s'" % want
    if name == "stubborn":
        asked = marks(text, "poweroff")
        down = kernel_time(text, POWER_DOWN)
        took = (down - asked[0]) if asked and down else None
        ok = took is not None and took < 5 and "MARK shutdown-entry" in text
        return ok, "power off %s s after the request" % ("%.1f" % took if took is not None else "?")
    if name == "ctrlaltdel":
        ok = "MARK ctrlaltdel" in text and POWER_DOWN in text
        return ok, "ctrlaltdel entry ran" if ok else "ctrlaltdel entry did not run"
    if name == "no-inittab":
        ok = "MARK rcS" in text and POWER_DOWN in text
        return ok, "defaults ran /etc/init.d/rcS" if ok else "rcS did not run"
    if name == "askfirst":
        m = re.search(r"SHELL (-?[\w/]+) on (/\S+)", text)  # not the echoed command
        ok = m is not None and m.group(1).startswith("-") and POWER_DOWN in text
        return ok, "login shell %s on %s after Enter" % (m.group(1), m.group(2)) if m else "no shell"
    if name == "env":
        session = re.search(r"SESSION_LEADER (\w+)", text)
        stdin = re.search(r"STDIN (\S+)", text)
        env = re.search(r"ENV (.*)", text)
        ok = (session is not None and session.group(1) == "yes"
              and stdin is not None and stdin.group(1) == "/dev/console"
              and env is not None and "PATH=/sbin:/usr/sbin:/bin:/usr/bin" in env.group(1)
              and "HOME=/" in env.group(1) and POWER_DOWN in text)
        return ok, "session leader %s, stdin %s, %s" % (
            session.group(1) if session else "?", stdin.group(1) if stdin else "?",
            env.group(1).strip() if env else "no environment line")
    if name == "watchdog":
        reset = "softdog: Initiating system reboot" in text or RESTART in text
        opened = "watchdog" in text and "petted" in text
        ok = "MARK still-alive" in text and POWER_DOWN in text and not reset
        return ok, "%s, %s" % ("no reset in 8 s" if not reset else "RESET",
                               "PID 1 pets /dev/watchdog" if opened else "/dev/watchdog never opened")
    return False, "unknown scenario"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", required=True, choices=ARCHES)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--busybox", required=True)
    ap.add_argument("--rawinit", required=True)
    ap.add_argument("--modules", help="the kernel's lib/modules/VERSION/kernel")
    ap.add_argument("--only", action="append")
    ap.add_argument("--inits", default="rawinit,busybox")
    ap.add_argument("--json")
    ap.add_argument("--logs", default=None)
    ap.add_argument("--limit", type=float, help="seconds a boot may take")
    args = ap.parse_args()
    names = args.only or list(SCENARIOS)
    if not args.modules and "watchdog" in names:
        names.remove("watchdog")
    limit = args.limit or (60 if args.arch == "amd64" else 120)
    results = []
    failed = False
    for name in names:
        row = {"scenario": name, "arch": args.arch}
        for init_kind in args.inits.split(","):
            text, took, timed_out = boot(args, init_kind, name, limit)
            if args.logs:
                os.makedirs(args.logs, exist_ok=True)
                with open(os.path.join(args.logs, "%s-%s-%s.log" % (args.arch, name, init_kind)), "w") as f:
                    f.write(text)
            ok, summary = check(name, text, init_kind)
            if timed_out:
                summary += " (timed out after %.0f s)" % took
            row[init_kind] = {"ok": ok, "summary": summary, "seconds": round(took, 1)}
            print("%-6s %-10s %-8s %-4s %5.1fs  %s" % (args.arch, name, init_kind,
                                                    "ok" if ok else "FAIL", took, summary),
                  flush=True)
            if init_kind == "rawinit" and not ok:
                failed = True
                print(text[-3000:], file=sys.stderr)
        results.append(row)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
