// Cold start in Node: a fresh `node` process per sample (cold-child.mjs), timing the import
// of one library alone and import → first token from the loopback server. The parent only
// spawns and reads one line; every figure is measured inside the child.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const CHILD = fileURLToPath(new URL("./cold-child.mjs", import.meta.url));

export function coldStart(name, origin) {
  return new Promise((resolve, reject) => {
    const wallStart = performance.now();
    const child = spawn(process.execPath, [CHILD, name, origin], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`cold start of ${name} exited ${code}: ${err.trim().split("\n").slice(-3).join(" ")}`));
      try {
        resolve({ ...JSON.parse(out.trim().split("\n").pop()), wall: performance.now() - wallStart });
      } catch (e) {
        reject(new Error(`cold start of ${name}: unreadable output ${JSON.stringify(out)}`));
      }
    });
  });
}
