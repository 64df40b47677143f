// A page that uses oauth2-wasm through vite; the checks are in ../page.js.
import * as lib from "oauth2-wasm";
import { show } from "../page.js";

show(lib, "vite");
