"""Joins a port's stdin and stdout to a Unix socket (standard library only).

    python -I _relay.py SOCKET

mhalab.check() serves its callable on SOCKET in the caller's process and
runs `mha check --exec` with this program as the command: bytes from stdin
go to the socket, bytes from the socket to stdout. At EOF on stdin it
shuts the socket's sending side, so the server sees EOF too; it exits when
the server closes the socket.
"""
import os
import selectors
import socket
import sys


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    try:
        pump(sys.argv[1])
    except (BrokenPipeError, ConnectionError):  # mha or the server ended first: nothing left to carry
        pass


def pump(socket_path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(socket_path)
    selector = selectors.DefaultSelector()
    selector.register(0, selectors.EVENT_READ, "stdin")
    selector.register(sock, selectors.EVENT_READ, "socket")
    while True:
        for key, _ in selector.select():
            if key.data == "stdin":
                data = os.read(0, 1 << 16)
                if data:
                    sock.sendall(data)
                else:
                    selector.unregister(0)
                    sock.shutdown(socket.SHUT_WR)
            else:
                data = sock.recv(1 << 16)
                if not data:
                    return
                view = memoryview(data)
                while view:
                    view = view[os.write(1, view):]


if __name__ == "__main__":
    main()
