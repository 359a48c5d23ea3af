#!/usr/bin/env node
import { setHintAudience } from "../hint.js";
import { installInterruptHandlers } from "./interrupt.js";
import { main } from "./main.js";

installInterruptHandlers();
// Hints name flags here, not library options: also those that reach output as text (run's failures).
setHintAudience("cli");
main(process.argv).then((code) => {
  process.exitCode = code;
});
