#!/usr/bin/env node
import { installInterruptHandlers } from "./interrupt.js";
import { main } from "./main.js";

installInterruptHandlers();
main(process.argv).then((code) => {
  process.exitCode = code;
});
