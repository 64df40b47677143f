// One cold start, in a fresh `node` process spawned by coldstart.mjs:
//   node bench/cold-child.mjs <adapter|node-only> <origin>
// Prints one JSON line of performance.now() readings (ms since this process's time origin,
// i.e. its start): when this script began, the import alone, and import → first token.
const t0 = performance.now();
const [name, origin] = process.argv.slice(2);
const out = { script: t0 };
if (name !== "node-only") {
  const mod = await import(`./adapters/${name}.mjs`);
  const t1 = performance.now();
  out.import = t1 - t0;
  if (mod.create) {
    const a = mod.create({ tokenEndpoint: `${origin}/token`, errorEndpoint: `${origin}/error`, clientId: "bench-client", clientSecret: "bench-secret", scope: "read" });
    const token = await a.token();
    const t2 = performance.now();
    if (token !== "b".repeat(40)) throw new Error(`unexpected token ${token}`);
    out.firstRequest = t2 - t1;
    out.toToken = t2 - t0;
    out.sinceStart = t2;
  }
}
out.end = performance.now();
process.stdout.write(JSON.stringify(out) + "\n");
process.exit(0); // keep-alive sockets would otherwise hold the process open
