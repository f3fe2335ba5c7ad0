#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""notify-listen.py SOCKET LOG: systemd's side of sd_notify(3) for the tests.

Binds a datagram socket at SOCKET, as systemd does for a Type=notify unit, and appends one
line to LOG per datagram: the sender's pid (from its credentials, as systemd checks
NotifyAccess), a space, and the message with its newlines turned into spaces:

    4242 MAINPID=4242 READY=1
"""
import socket
import struct
import sys


def main():
    path, log = sys.argv[1], sys.argv[2]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    sock.bind(path)
    with open(log, "a", buffering=1, encoding="utf-8") as out:
        while True:
            data, ancillary, _, _ = sock.recvmsg(8192, socket.CMSG_SPACE(12))
            pid = "?"
            for level, kind, payload in ancillary:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("iII", payload[:12])[0]
            text = data.decode("utf-8", errors="replace").replace("\n", " ")
            out.write(f"{pid} {text}\n")


if __name__ == "__main__":
    main()
