"""Run warroom in a pseudo-terminal, send it a signal, and report what it did to the terminal.

usage: signals.py BINARY SIGNAL   (SIGNAL: INT, QUIT, TERM, HUP, TSTP, or PASTE)
Prints one line of JSON: exit status, whether the alternate screen was left (and entered
again after a TSTP/CONT), whether the cursor was shown, and the terminal's modes after it.
"""
import fcntl, json, os, pty, select, signal, struct, sys, termios, time

binary, name = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.environ["WARROOM_DATA"] = os.environ.get("WARROOM_DATA", "/tmp/warroom-pty")
    os.execv(binary, [binary, "--demo", "--at", "09:20", "--speed", "0"])

fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
out = b""


def read_for(seconds, until=None):
    global out
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return False
            if not chunk:
                return False
            out += chunk
            if until and until in out:
                return True
    return True


ENTER, LEAVE, SHOW = b"\x1b[?1049h", b"\x1b[?1049l", b"\x1b[?25h"
read_for(20, until=b"REGIONAL")
entered = ENTER in out
raw_before = not (termios.tcgetattr(fd)[3] & termios.ICANON)
mark = len(out)
result = {"entered": entered, "raw_before": raw_before}
if name == "TSTP":
    os.kill(pid, signal.SIGTSTP)
    stopped = False
    for _ in range(100):
        p, status = os.waitpid(pid, os.WUNTRACED | os.WNOHANG)
        if p and os.WIFSTOPPED(status):
            stopped = True
            break
        read_for(0.05)
    read_for(0.3)
    result["stopped"] = stopped
    result["left_on_stop"] = LEAVE in out[mark:]
    result["cooked_while_stopped"] = bool(termios.tcgetattr(fd)[3] & termios.ICANON)
    mark = len(out)
    os.kill(pid, signal.SIGCONT)
    read_for(3, until=b"REGIONAL")
    result["entered_again"] = ENTER in out[mark:]
    result["raw_again"] = not (termios.tcgetattr(fd)[3] & termios.ICANON)
    mark = len(out)
    os.kill(pid, signal.SIGTERM)
elif name == "PASTE":
    # A paste holding `q` and enter is text, not keys: the cockpit keeps running.
    os.write(fd, b"\x1b[200~quit q\r\x1b[201~")
    read_for(1.5)
    p, _ = os.waitpid(pid, os.WNOHANG)
    result["alive_after_paste"] = p == 0
    result["paste_enabled"] = b"\x1b[?2004h" in out
    mark = len(out)
    os.kill(pid, signal.SIGTERM)
else:
    os.kill(pid, getattr(signal, "SIG" + name))
alive = read_for(10)
_, status = os.waitpid(pid, 0)
tail = out[mark:]
result.update({
    "exit": os.waitstatus_to_exitcode(status),
    "left": LEAVE in tail,
    "cursor_shown": SHOW in tail,
})
try:
    result["cooked_after"] = bool(termios.tcgetattr(fd)[3] & termios.ICANON)
except termios.error:
    result["cooked_after"] = None
if os.environ.get("PTY_DEBUG"): sys.stderr.write(repr(tail[-600:]) + "\n")
print(json.dumps(result))
