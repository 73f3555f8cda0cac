"""What a terminal shows for the text a program wrote to it."""


def render_terminal(text):
    """The lines a terminal shows for `text`: \\r, erase-to-end (ESC[K) and \\n applied."""
    lines, line, col, i = [], "", 0, 0
    while i < len(text):
        if text.startswith("\x1b[K", i):
            line, i = line[:col], i + 3
            continue
        char = text[i]
        if char == "\r":
            col = 0
        elif char == "\n":
            lines.append(line)
            line, col = "", 0
        else:
            line = line[:col] + char + line[col + 1:]
            col += 1
        i += 1
    return lines + ([line] if line else [])
