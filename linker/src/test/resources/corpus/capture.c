/* Test helper loaded through the linker: sends the executor's standard output to a file while a program runs. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

static int saved = -1;

int64_t capture_begin(const void *path, size_t len)
{
    (void)len;
    fflush(stdout);
    saved = dup(1);
    int fd = open((const char *)path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (saved < 0 || fd < 0)
    {
        return -1;
    }
    dup2(fd, 1);
    close(fd);
    return 0;
}

int64_t capture_end(const void *arg, size_t len)
{
    (void)arg;
    (void)len;
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    saved = -1;
    return 0;
}
