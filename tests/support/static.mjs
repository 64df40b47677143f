// The test pages are served like the demo.
export { startStaticServer } from "../../www/static.mjs";
