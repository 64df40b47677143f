// The same scenarios in a module worker: no window, no document, globalThis.fetch only.
// The servers come in the worker's URL: a message could arrive before the module (which
// awaits the wasm) has set its handler.
import * as lib from "./node_modules/oauth2-wasm/js/browser.mjs";
import { runScenarios } from "./scenarios.mjs";

const servers = JSON.parse(new URL(import.meta.url).searchParams.get("servers"));
self.postMessage(await runScenarios(lib, servers));
