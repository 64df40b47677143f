// Cold start in Node: a fresh `node` process per sample (cold-child.mjs), timing the import
// of one library alone and import → first token from the loopback server. The parent only
// spawns and reads one line; every figure is measured inside the child.
import { fileURLToPath } from "node:url";
import { runChild } from "./child.mjs";

const CHILD = fileURLToPath(new URL("./cold-child.mjs", import.meta.url));

export async function coldStart(name, origin) {
  const wallStart = performance.now();
  const { code, result, out, errTail } = await runChild(CHILD, [name, origin]);
  if (code !== 0) throw new Error(`cold start of ${name} exited ${code}: ${errTail}`);
  if (!result) throw new Error(`cold start of ${name}: unreadable output ${JSON.stringify(out)}`);
  return { ...result, wall: performance.now() - wallStart };
}
