// Exit codes of the executable that come from the platform layer; the server's own codes (usage, config) live with it.
/** The embedded native libraries could not be written to or loaded from their cache folder. */
export const EXIT_NATIVE_SETUP = 3;
/** `healthcheck`: the server did not answer 200 on /healthz. */
export const EXIT_UNHEALTHY = 1;
