#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Relays an emulator's serial port over TCP so a batch run can type on it.

    scripts/serial-relay.py LOG FIFO PORTFILE

Bochs has no pipe serial mode on Linux, but it can connect COM1 to a TCP
server (com1: mode=socket-client). This is that server: it listens on a
free port of 127.0.0.1 and writes the port number to PORTFILE, then accepts
one connection; what the emulator sends is appended to LOG (the serial log
run-common.sh's watcher reads), what is written into FIFO (the watcher's
SEND_FIFO) is sent to the emulator. It ends when the emulator closes the
connection, or after 60 s if nobody connects.
"""
import os
import select
import socket
import sys

ACCEPT_TIMEOUT_S = 60


def main():
    log_path, fifo_path, port_path = sys.argv[1:4]
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    tmp = port_path + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{srv.getsockname()[1]}\n")
    os.rename(tmp, port_path)  # the reader never sees half a number

    srv.settimeout(ACCEPT_TIMEOUT_S)
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        sys.exit("serial-relay.py: the emulator did not connect")
    srv.close()
    # Read-write, so the open neither blocks nor sees end-of-file while no
    # writer has the FIFO open.
    fifo = os.open(fifo_path, os.O_RDWR | os.O_NONBLOCK)
    with open(log_path, "ab", buffering=0) as log:
        while True:
            ready, _, _ = select.select([conn, fifo], [], [])
            if conn in ready:
                data = conn.recv(65536)
                if not data:
                    return
                log.write(data)
            if fifo in ready:
                conn.sendall(os.read(fifo, 4096))


if __name__ == "__main__":
    main()
