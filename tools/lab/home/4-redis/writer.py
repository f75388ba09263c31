#!/usr/bin/env python3
"""Overwrite random existing keys of a DEBUG POPULATE'd redis until STOPFILE
appears: writer.py PORT KEYS VALUE_SIZE STOPFILE. Prints how many SETs."""
import os
import random
import socket
import sys

port, keys, size, stop = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
value = b"w" * size
s = socket.create_connection(("127.0.0.1", port))
sent = 0
rng = random.Random(1)
while not os.path.exists(stop):
    batch = []
    for _ in range(64):
        key = b"key:%d" % rng.randrange(keys)
        batch.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, size, value))
    s.sendall(b"".join(batch))
    got = 0
    buf = b""
    while got < 64:
        buf += s.recv(65536)
        got = buf.count(b"\r\n")
    sent += 64
print(sent)
