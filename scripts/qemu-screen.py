#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""What a running QEMU shows on its screen, and checks of it.

  qemu-screen.py grab SOCKET OUTDIR
      Over the QEMU monitor at the unix SOCKET: `screendump OUTDIR/screen.ppm`
      and the VGA text buffer (`xp` of 0xB8000) into OUTDIR/vga-text.txt.
  qemu-screen.py text OUTDIR FONT_C
      Prints the screen as text lines: decoded from screen.ppm with the
      hypervisor's own 5x7 font (arch/x86/video/font5x7.c) when the screen is
      a framebuffer, else the characters of the VGA text buffer.
  qemu-screen.py cmd SOCKET SECONDS COMMAND
      After SECONDS, one human-monitor COMMAND (e.g. `nmi`) over the unix
      SOCKET; prints QEMU's reply (itest.sh's `monitor-at:`).

The decoding is exact, not OCR: the framebuffer console draws each
character in an 8x16 cell from that font (arch/x86/video/screen.c), so each
cell either equals one glyph's drawing or is not text.
"""
import os
import re
import socket
import sys
import time

VGA_TEXT = 0xB8000
VGA_COLS, VGA_ROWS = 80, 25
CELL_W, CELL_H = 8, 16


def monitor(sock_path, commands, timeout=20.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    deadline = time.time() + timeout
    while True:
        try:
            s.connect(sock_path)
            break
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.05)
    s.settimeout(timeout)
    out = b""

    def until_prompt():
        nonlocal out
        buf = b""
        while not buf.endswith(b"(qemu) "):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        out += buf
        return buf

    until_prompt()
    replies = []
    for c in commands:
        s.sendall(c.encode() + b"\n")
        replies.append(until_prompt().decode(errors="replace"))
    s.close()
    return replies


def grab(sock_path, outdir):
    ppm = os.path.join(outdir, "screen.ppm")
    words = VGA_COLS * VGA_ROWS
    replies = monitor(sock_path, [f"screendump {ppm}", f"xp /{words}hx {VGA_TEXT:#x}"])
    cells = []
    for line in replies[1].splitlines():
        m = re.match(r"^\s*[0-9a-f]+:\s+(.*)$", line.strip())
        if m:
            cells += [int(w, 16) for w in m.group(1).split()]
    with open(os.path.join(outdir, "vga-text.txt"), "w") as f:
        for r in range(VGA_ROWS):
            row = cells[r * VGA_COLS:(r + 1) * VGA_COLS]
            f.write("".join(chr(c & 0xFF) if 0x20 <= (c & 0xFF) < 0x7F else " " for c in row).rstrip() + "\n")
    # screendump writes the file asynchronously: wait until it is whole.
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            w, h, data = read_ppm(ppm)
            if len(data) == w * h * 3:
                return 0
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    print("qemu-screen.py: no complete screendump", file=sys.stderr)
    return 1


def read_ppm(path):
    with open(path, "rb") as f:
        raw = f.read()
    fields, pos = [], 0
    while len(fields) < 4:
        m = re.compile(rb"\s*(#[^\n]*\n\s*)*(\S+)").match(raw, pos)
        if not m:
            raise ValueError("short PPM header")
        fields.append(m.group(2))
        pos = m.end()
    if fields[0] != b"P6":
        raise ValueError("not a binary PPM")
    w, h = int(fields[1]), int(fields[2])
    return w, h, raw[pos + 1:]


def load_font(font_c):
    """{char: [7 strings of 5 '#'/' ']} from the C source's art."""
    src = open(font_c).read()
    glyphs = {}
    for m in re.finditer(r"/\* '(\\?.)' \*/ \{([^}]*)\}", src):
        ch = m.group(1)
        ch = {"\\'": "'", "\\\\": "\\"}.get(ch, ch)
        glyphs[ch] = re.findall(r'"([ #]{5})"', m.group(2))
    return glyphs


def cell_pattern(art):
    """The 8x16 on/off pattern screen.c draws for a glyph (fb_draw)."""
    rows = []
    for y in range(CELL_H):
        gy = (y - 1) // 2
        bits = art[gy] if 1 <= y and gy < len(art) else "     "
        rows.append(tuple(1 <= x <= 5 and bits[x - 1] == "#" for x in range(CELL_W)))
    return tuple(rows)


def decode_framebuffer(ppm, font_c):
    w, h, data = read_ppm(ppm)
    patterns = {cell_pattern(art): ch for ch, art in load_font(font_c).items()}
    lines = []
    for row in range(h // CELL_H):
        text = []
        for col in range(w // CELL_W):
            cell = []
            for y in range(CELL_H):
                off = ((row * CELL_H + y) * w + col * CELL_W) * 3
                px = data[off:off + CELL_W * 3]
                cell.append(tuple(any(px[i * 3:i * 3 + 3]) for i in range(CELL_W)))
            text.append(patterns.get(tuple(cell), "\x7f"))
        lines.append("".join(text).rstrip())
    return lines


def text(outdir, font_c):
    ppm = os.path.join(outdir, "screen.ppm")
    w, h, _ = read_ppm(ppm)
    vga = os.path.join(outdir, "vga-text.txt")
    # QEMU renders VGA text mode as 9x16 cells: 720x400 for 80x25.
    if (w, h) == (VGA_COLS * 9, VGA_ROWS * 16) and os.path.exists(vga):
        lines = open(vga).read().splitlines()
    else:
        lines = decode_framebuffer(ppm, font_c)
    print(f"# screen {w}x{h}")
    for line in lines:
        print(line)
    return 0


def cmd(sock_path, seconds, command):
    time.sleep(float(seconds))
    for reply in monitor(sock_path, [command]):
        print(reply)
    return 0


def main(argv):
    if len(argv) == 5 and argv[1] == "cmd":
        return cmd(argv[2], argv[3], argv[4])
    if len(argv) == 4 and argv[1] == "grab":
        return grab(argv[2], argv[3])
    if len(argv) == 4 and argv[1] == "text":
        return text(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
