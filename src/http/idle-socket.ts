/**
 * How long a kept-alive socket may sit idle before kdrill closes it: under the 5 s keep-alive timeout of a
 * Node server (the lab's API server and S3), so a request never goes out on a connection the server is
 * closing. Such a request fails with a reset; a retry of a create or a put is not always safe.
 */
export const IDLE_SOCKET_MS = 4000;
