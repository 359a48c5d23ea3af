/**
 * The environment variable naming the queue's Redis. Apart from connection.ts so the command line
 * can show it in its help without loading ioredis.
 */
export const QUEUE_ENV = "ZARRIFY_QUEUE";
