#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""qmp.py [--pid PID] SOCKET COMMAND...: ask a QEMU over QMP, for tests/e2e/inside.sh.

Waits (60 s at most) for the socket and QEMU's greeting, negotiates, runs each COMMAND in turn
(with --pid, the waiting ends at once when process PID, the launcher that becomes QEMU, has
ended or is a zombie: a failed launch costs no minute):
  query-pci    prints "device VVVV:DDDD" for every device on every bus (behind bridges too);
  query-block  prints "drive ID FILE ro|rw" for every drive with a medium (FILE as QEMU opened
               it, e.g. /dev/fdset/1);
  hmp:TEXT     runs the monitor command TEXT (human-monitor-command) and prints its reply, if any
               (without the CRs of its line ends);
  pci-slots    one query-pci, no "cont": prints "pci BB:SS.F VVVV:DDDD" and, per BAR, " barN=ADDR"
               (hex, "none" while unassigned), for every device on a bus the firmware numbered;
               after a serial: that saw every BAR assigned, the query-pci of that moment;
  serial:SECS:TEXT:PATH  connects to the guest's serial socket PATH, lets a paused guest run
               ("cont"), and reads it until TEXT appears, asking query-pci each second: prints
               "bars: assigned after S s" once every BAR of every device behind a root port has
               an address (the firmware enumerated them), "serial: TEXT after S s" when TEXT
               came; an empty TEXT ends at the first. Exit 1 when that did not come within SECS s;
  anything else (quit, query-status) prints nothing.
Exit 0 when QEMU answered every command with a return.
A device behind a PCIe root port shows in query-pci only once the firmware has numbered the
buses: query-pci on a paused VM (-S) lets it run ("cont") and asks again, for 60 s at most,
until more than the root bus is there."""
import json
import socket
import sys
import time


def gone(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def main():
    args, pid = sys.argv[1:], None
    if args[:1] == ["--pid"]:
        pid, args = int(args[1]), args[2:]
    path, cmds = args[0], args[1:]
    s = socket.socket(socket.AF_UNIX)
    for _ in range(600):
        try:
            s.connect(path)
            break
        except OSError:
            if pid is not None and gone(pid):
                sys.exit("qmp.py: process %d ended before %s answered" % (pid, path))
            time.sleep(0.1)
    else:
        sys.exit("qmp.py: cannot connect to %s" % path)
    s.settimeout(60)
    f = s.makefile("rw")
    json.loads(f.readline())  # the greeting: QEMU itself is up

    def ask(c, args=None):
        msg = {"execute": c}
        if args:
            msg["arguments"] = args
        f.write(json.dumps(msg) + "\n")
        f.flush()
        while True:
            line = f.readline()
            if not line:
                return None  # quit: QEMU closed the socket
            r = json.loads(line)
            if "event" not in r:
                if "error" in r:
                    sys.exit("qmp.py: %s: %s" % (c, r["error"]))
                return r.get("return")

    def walk(devices, out):
        for d in devices:
            out.append("device %04x:%04x" % (d["id"]["vendor"], d["id"]["device"]))
            bridge = d.get("pci_bridge")
            if bridge:
                walk(bridge.get("devices", []), out)
        return out

    def query_pci():
        for _ in range(120):
            found = []
            for bus in ask("query-pci"):
                walk(bus["devices"], found)
            numbered = any(d.get("pci_bridge", {}).get("bus", {}).get("secondary", 0)
                           for bus in ask("query-pci") for d in bus["devices"])
            if numbered:
                break
            if ask("query-status")["status"] == "prelaunch":
                ask("cont")
            time.sleep(0.5)
        print("\n".join(found))

    # query-pci as bars_assigned last found every BAR assigned: pci-slots shows that moment,
    # since the firmware may turn a device's memory decoding off again while it goes on (QEMU
    # then shows its BARs unassigned), which is not what the check asks
    assigned = []

    def pci_slots():
        out = []

        def walk_bus(bus, devices):
            for d in devices:
                line = "pci %02x:%02x.%d %04x:%04x" % (bus, d["slot"], d["function"],
                                                       d["id"]["vendor"], d["id"]["device"])
                for r in d.get("regions", []):
                    a = r.get("address", -1)
                    line += " bar%d=%s" % (r["bar"], "none" if a in (-1, 2 ** 64 - 1) else "%#x" % a)
                out.append(line)
                br = d.get("pci_bridge")
                if br and br.get("bus", {}).get("secondary"):
                    walk_bus(br["bus"]["secondary"], br.get("devices", []))

        for b in assigned or ask("query-pci"):
            walk_bus(b["bus"], b["devices"])
        print("\n".join(out))

    def bars_assigned():
        behind = []
        buses = ask("query-pci")
        for b in buses:
            for d in b["devices"]:
                br = d.get("pci_bridge")
                if br:
                    behind += br.get("devices", [])
        if behind and all(r.get("address", -1) not in (-1, 2 ** 64 - 1)
                          for d in behind for r in d.get("regions", [])):
            assigned[:] = buses
            return True
        return False

    def serial(spec):
        secs, text, sock = spec.split(":", 2)
        c = socket.socket(socket.AF_UNIX)
        c.connect(sock)
        c.settimeout(1)
        t0 = time.time()
        if ask("query-status")["status"] == "prelaunch":
            ask("cont")
        got, bars = b"", False
        while time.time() - t0 < float(secs):
            try:
                chunk = c.recv(4096)
                if not chunk:
                    break
                got += chunk
            except socket.timeout:
                pass
            if not bars and bars_assigned():
                bars = True
                print("bars: assigned after %.1f s" % (time.time() - t0))
                sys.stdout.flush()
                if not text:
                    return
            if text and text.encode() in got:
                print("serial: %s after %.1f s" % (text, time.time() - t0))
                return
        tail = got[-200:].decode("utf-8", "replace")
        sys.exit("qmp.py: serial: %r not seen in %.0f s; last: %r" % (text or "BARs", time.time() - t0, tail))

    ask("qmp_capabilities")
    for cmd in cmds:
        if cmd == "query-pci":
            query_pci()
        elif cmd == "pci-slots":
            pci_slots()
        elif cmd.startswith("serial:"):
            serial(cmd[7:])
        elif cmd == "query-block":
            for b in ask("query-block"):
                m = b.get("inserted")
                if m:
                    print("drive %s %s %s" % (b["device"], m["file"], "ro" if m["ro"] else "rw"))
        elif cmd.startswith("hmp:"):
            out = ask("human-monitor-command", {"command-line": cmd[4:]}).replace("\r", "").strip()
            if out:
                print(out)
        else:
            ask(cmd)
        sys.stdout.flush()


main()
