// `node --import` this to run the Node tests against the Rust API's driver of the session
// machine: `oauth2-wasm` (and its subpaths) then resolve to the package built with the npm
// crate's `rust-driver` feature in $OAUTH2_WASM_PACKAGE_DIR (scripts/rust-driver.sh), in this
// process and, through NODE_OPTIONS, in the processes it starts.
import { register } from "node:module";

register("./rust-driver-hooks.mjs", import.meta.url, { data: process.env.OAUTH2_WASM_PACKAGE_DIR });
