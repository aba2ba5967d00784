// Read what the page's terminal shows, from xterm's own buffer (the terminal draws on a
// canvas, so the text is not in the DOM). textual.js keeps its terminal object in a
// closure; the first object that sets `websocket_url` is it, so a setter on
// Object.prototype hands it to the test, then steps aside for every later assignment.
Object.defineProperty(Object.prototype, "websocket_url", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "websocket_url", {value, writable: true, configurable: true, enumerable: true});
    window.__textual = this;
  },
});

// The terminal's visible rows as text, one line each ("" before it exists).
window.__screen = () => {
  const terminal = window.__textual && window.__textual.terminal;
  if (!terminal) {
    return "";
  }
  const buffer = terminal.buffer.active;
  const lines = [];
  for (let y = 0; y < terminal.rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    lines.push(line ? line.translateToString(true) : "");
  }
  return lines.join("\n");
};

window.__size = () => {
  const terminal = window.__textual && window.__textual.terminal;
  return terminal ? [terminal.cols, terminal.rows] : null;
};
