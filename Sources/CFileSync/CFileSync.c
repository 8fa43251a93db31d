#define _GNU_SOURCE
#include <unistd.h>
#include "CFileSync.h"

int cogram_syncfs(int fd) {
#ifdef __linux__
    return syncfs(fd);
#else
    return fsync(fd);
#endif
}
