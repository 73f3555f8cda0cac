"""The live progress line of a terminal: one line redrawn in place, and its ticker.

`LiveLine` owns every write to its terminal while it is drawn: `draw` replaces the line,
`print_above` puts another line (a log line, a program's own line, on this stream or another
stream of the same terminal) above it, `clear` erases it and `finish` ends it with a newline.
All of them hold one lock, so a redraw from another thread never lands inside another line,
and nothing is drawn once the line is closed.

`Ticker` redraws a line from a background thread while the training loop is stuck in one long
step, so that its time left keeps moving. It writes only through its `LiveLine` (under its lock),
never after `LiveLine.close`/`Ticker.stop`, and stops by itself once the program's main thread
has ended.
"""

import os
import threading
import time
from typing import Callable, Optional, TextIO

MAX_LIVE_WIDTH = 100
_CLEAR = "\r\x1b[K"  # carriage return, erase to the end of the line


def terminal_width(stream: TextIO, maximum: int = MAX_LIVE_WIDTH) -> int:
    """The columns of the terminal behind `stream`, minus one (so a full line never wraps),
    at most `maximum`; `maximum` when it cannot be told (not a terminal, or a size of 0)."""
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        return maximum
    if columns <= 0:  # a terminal that does not know its size (a bare pty)
        return maximum
    return max(20, min(maximum, columns - 1))


def use_live_progress(mode: str, stream: TextIO) -> bool:
    """Whether to draw the live line: "always", "never", or ("auto") iff `stream` is a terminal.

    The library reads no environment: a program that must not draw it (e.g. under CI)
    passes "never".
    """
    if mode == "always":
        return True
    if mode == "never":
        return False
    return bool(hasattr(stream, "isatty") and stream.isatty())


class LiveLine:
    """One line of fixed width redrawn in place; lines printed through it go above it.

    Attributes:
      stream: The terminal's stream the line is drawn on.
      width: The line's width in columns.
      lock: Held by every write; hold it to check `drawn` and write in one step.
    """

    def __init__(self, stream: TextIO, width: int):
        self.stream, self.width = stream, width
        self.lock = threading.RLock()
        self._text: Optional[str] = None
        self._closed = False

    @property
    def drawn(self) -> bool:
        """Whether the line is on the screen now."""
        return self._text is not None

    @property
    def closed(self) -> bool:
        """Whether the line was finished or cleared for good (`close`)."""
        return self._closed

    def draw(self, text: str) -> None:
        """Replaces the line with `text` (cut or padded to `width`); nothing once closed."""
        with self.lock:
            if self._closed:
                return
            self._text = text.ljust(self.width)[:self.width]
            self.stream.write(_CLEAR + self._text)
            self.stream.flush()

    def print_above(self, line: str, stream: Optional[TextIO] = None) -> None:
        """Prints `line` (to `stream`, default the line's own) above the line, which is
        redrawn below it; a plain line when nothing is drawn."""
        stream = stream or self.stream
        with self.lock:
            if self._text is None:
                stream.write(line + "\n")
                stream.flush()
                return
            self.stream.write(_CLEAR)
            self.stream.flush()
            stream.write(line + "\n")
            stream.flush()
            self.stream.write(self._text)
            self.stream.flush()

    def finish(self) -> None:
        """Ends the line where it is, with a newline; later lines print below it."""
        with self.lock:
            if self._text is not None:
                self.stream.write("\n")
                self.stream.flush()
                self._text = None

    def clear(self) -> None:
        """Erases the line; the cursor stays at the start of the empty line."""
        with self.lock:
            if self._text is not None:
                self.stream.write(_CLEAR)
                self.stream.flush()
                self._text = None

    def reopen(self) -> None:
        """Lets a closed line be drawn again (a new training session)."""
        with self.lock:
            self._closed = False

    def close(self, keep: bool) -> None:
        """Finishes (`keep`) or clears the line for good: `draw` writes nothing afterwards."""
        with self.lock:
            if keep:
                self.finish()
            else:
                self.clear()
            self._closed = True


class Ticker:
    """Redraws a `LiveLine` from a background thread while a long step keeps the loop busy.

    Every `period / 4` seconds (at most 0.25 s) it asks `frame(now)` (`now` from `clock`) for
    the line's text, or None for nothing to draw, and draws it when the line was last drawn
    at least `period` seconds before. `note_draw(now)` tells it about draws made elsewhere.
    """

    def __init__(self, line: LiveLine, frame: Callable[[float], Optional[str]], period: float,
                 clock: Callable[[], float] = time.monotonic):
        self._line, self._frame, self._period, self._clock = line, frame, period, clock
        self._last_draw = clock()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def note_draw(self, now: float) -> None:
        self._last_draw = now

    def start(self) -> None:
        """Starts the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="lrhooks-live-line")
            self._thread.start()

    def stop(self) -> None:
        """Stops the thread and waits for it: no draw of it follows."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def _run(self) -> None:
        # Not a daemon: a daemon thread may write while the interpreter shuts down. This one
        # ends with the main thread (its wait is at most 0.25 s).
        while not self._stop.wait(min(0.25, self._period / 4)):
            if not threading.main_thread().is_alive():
                return
            with self._line.lock:
                if self._stop.is_set() or self._line.closed or not self._line.drawn:
                    continue
                now = self._clock()
                if now - self._last_draw < self._period:
                    continue
                text = self._frame(now)
                if text is None:
                    continue
                try:
                    self._line.draw(text)
                except (OSError, ValueError):  # the loop's own next write reports it
                    return
                self._last_draw = now
