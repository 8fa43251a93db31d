#ifndef COGRAM_CFILESYNC_H
#define COGRAM_CFILESYNC_H

/// Flushes the whole file system that holds `fd` to stable storage (Linux `syncfs(2)`); elsewhere `fsync(fd)`.
/// Swift's Glibc module does not declare `syncfs`, a GNU extension. Returns 0, or -1 with errno set.
int cogram_syncfs(int fd);

#endif
