/**
 * The converter's version, part of a built graph's identity: bump it whenever a change to the readers, the
 * architecture recipes or the graph writer changes what a build writes, so every cached build is rebuilt once.
 */
export const BUILDER_VERSION = 2;
