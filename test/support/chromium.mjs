// Debian's Chromium, as every browser test here launches it: never a downloaded browser, and
// kept off the network (the machines have none but loopback, and Chromium's background
// connections would fail many at a time).

export const CHROMIUM_PATH = "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
