// Module resolution hooks of rust-driver.mjs: `oauth2-wasm` is resolved as if imported from
// the directory holding the Rust-driver build of the package.
import { pathToFileURL } from "node:url";

let parentURL;

export function initialize(dir) {
  if (!dir) throw new Error("OAUTH2_WASM_PACKAGE_DIR is not set");
  parentURL = pathToFileURL(`${dir}/entry.mjs`).href;
}

export function resolve(specifier, context, next) {
  if (specifier === "oauth2-wasm" || specifier.startsWith("oauth2-wasm/")) {
    return next(specifier, { ...context, parentURL });
  }
  return next(specifier, context);
}
