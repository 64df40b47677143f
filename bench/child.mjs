// Runs a bench script in a fresh `node` process and reads the JSON of its last stdout line:
// coldstart.mjs (one process per sample) and browser.mjs (Chromium kept out of run.mjs's
// process) both measure inside the child and print one line.
import { spawn } from "node:child_process";

/** Resolves to { code, result (undefined when the last line is not JSON), out, errTail }. */
export function runChild(script, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => {
      let result;
      try {
        result = JSON.parse(out.trim().split("\n").pop());
      } catch {}
      resolve({ code, result, out, errTail: err.trim().split("\n").slice(-3).join(" ") });
    });
  });
}
