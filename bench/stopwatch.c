/*
 * stopwatch OUT COMMAND [ARG...]: runs COMMAND once and writes "<wall µs> <peak RSS KiB>" to OUT.
 *
 * bench/run.sh times every tool with it. Timing `/usr/bin/time COMMAND` from the shell, as the
 * suite did before, counted time's own start and its fork, about 1-2 ms per run, the same for
 * every tool: small beside dbmate's 13 ms no-op, but it pulled every ratio towards 1. Here the
 * clock starts right before the spawn and stops when wait4() returns, which also reports the peak
 * RSS of the command (and of nothing else).
 * COMMAND's stdin, stdout and stderr are this program's. Exit status: COMMAND's, or 127 when it
 * could not be started, 128+N when signal N ended it, 2 on a usage or I/O error.
 */
#define _GNU_SOURCE /* wait4 */

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

extern char** environ;

static long long now_us(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: stopwatch OUT COMMAND [ARG...]\n");
        return 2;
    }
    const long long start = now_us();
    pid_t child;
    const int spawn_error = posix_spawnp(&child, argv[2], NULL, NULL, argv + 2, environ);
    if (spawn_error != 0) {
        fprintf(stderr, "stopwatch: cannot run %s: %s\n", argv[2], strerror(spawn_error));
        return 127;
    }
    int status;
    struct rusage usage;
    while (wait4(child, &status, 0, &usage) < 0) {
        if (errno != EINTR) {
            perror("stopwatch: wait4");
            return 2;
        }
    }
    const long long elapsed = now_us() - start;

    FILE* out = fopen(argv[1], "w");
    if (out == NULL || fprintf(out, "%lld %ld\n", elapsed, usage.ru_maxrss) < 0 || fclose(out) != 0) {
        fprintf(stderr, "stopwatch: cannot write %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
