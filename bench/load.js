// A load generator in its own process (the engine's run and the load never
// share an event loop): a new TLS connection per request, as a browser's
// first visit, at RATE requests/s to HOST through the proxy, until a file
// named STOP appears. Prints one JSON line: every request's start (ms since
// the load began), latency (ms) and status (0 = no answer).
//   node bench/load.js HOST PORT CA_FILE STOP_FILE [RATE]
"use strict";
const fs = require("node:fs");
const https = require("node:https");

const [host, port, caFile, stopFile, rate = "20"] = process.argv.slice(2);
const ca = fs.readFileSync(caFile, "utf8");
const period = 1000 / Number(rate);
const samples = [];
const t0 = performance.now();
let inFlight = 0;

function one() {
  const start = performance.now();
  const sample = { at: Math.round(start - t0), ms: 0, status: 0, error: "" };
  inFlight++;
  const finish = (status, error) => {
    sample.ms = Math.round((performance.now() - start) * 10) / 10;
    sample.status = status;
    sample.error = error;
    samples.push(sample);
    inFlight--;
  };
  const req = https.request({ host: "127.0.0.1", port: Number(port), path: "/", servername: host, headers: { host }, ca, agent: false, timeout: 5000 }, (res) => {
    res.resume();
    res.on("end", () => finish(res.statusCode ?? 0, ""));
  });
  req.on("timeout", () => req.destroy(new Error("timeout")));
  req.on("error", (e) => finish(0, e.message));
  req.end();
}

const timer = setInterval(() => {
  if (fs.existsSync(stopFile)) {
    clearInterval(timer);
    const wait = setInterval(() => {
      if (inFlight > 0) return;
      clearInterval(wait);
      process.stdout.write(JSON.stringify(samples) + "\n");
    }, 20);
    return;
  }
  one();
}, period);
