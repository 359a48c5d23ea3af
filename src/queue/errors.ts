import { ZarrifyError } from "../errors.js";

/**
 * The queue's Redis cannot be reached or refused a request, or the queue named does not exist.
 * The message names the server (password hidden); exit code 1, as any failure outside the inputs.
 */
export class QueueError extends ZarrifyError {}
