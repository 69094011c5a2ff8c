/*
 * read_tree [--stat] DIR PHASE...: the floor of reading what `status` must read.
 *
 * SPEC requires `status` to report `changed`, a checksum of every migration file, so any
 * implementation lists the phase folders and reads every file in full. This does only that:
 * readdir() of DIR/PHASE for each phase (dot-files skipped), then open/read/close of every
 * regular file, computing nothing (no sorting, no parsing, no hashing).
 * With --stat it only lists and fstatat()s each entry: what `status` would still pay with a
 * checksum cache keyed on size, mtime and inode.
 * bench/run.sh builds it with the system cc and times it next to the tools' `status`.
 * Exits 1 on any error, with the failing path.
 */
#define _DEFAULT_SOURCE /* dirent's d_type */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char buffer[1 << 16];

static int fail(const char* what, const char* phase, const char* name) {
    fprintf(stderr, "read_tree: cannot %s %s%s%s: %s\n", what, phase, name ? "/" : "", name ? name : "",
            strerror(errno));
    return 1;
}

/* Reads one file to its end; the bytes are dropped. */
static int read_file(int folder, const char* phase, const char* name) {
    const int fd = openat(folder, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail("open", phase, name);
    ssize_t n;
    while ((n = read(fd, buffer, sizeof buffer)) > 0) continue;
    const int failed = n < 0 ? fail("read", phase, name) : 0;
    close(fd);
    return failed;
}

static int walk_phase(int root, const char* phase, int stat_only) {
    const int folder = openat(root, phase, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (folder < 0) return fail("open", phase, NULL);
    DIR* listing = fdopendir(folder);
    if (!listing) {
        close(folder);
        return fail("list", phase, NULL);
    }
    int failed = 0;
    const struct dirent* entry;
    errno = 0; /* readdir() tells an error from the end only by errno */
    while (!failed && (entry = readdir(listing)) != NULL) {
        struct stat info;
        if (entry->d_name[0] == '.') {
            /* ".", ".." and hidden files */
        } else if (stat_only) {
            if (fstatat(folder, entry->d_name, &info, 0) != 0) failed = fail("stat", phase, entry->d_name);
        } else if (entry->d_type == DT_REG) {
            failed = read_file(folder, phase, entry->d_name);
        } else if (entry->d_type == DT_LNK || entry->d_type == DT_UNKNOWN) {
            /* only these cost a stat(), as in datamig: is it (or does it lead to) a regular file? */
            if (fstatat(folder, entry->d_name, &info, 0) != 0)
                failed = fail("stat", phase, entry->d_name);
            else if (S_ISREG(info.st_mode))
                failed = read_file(folder, phase, entry->d_name);
        }
        errno = 0;
    }
    if (!failed && errno != 0) failed = fail("list", phase, NULL);
    closedir(listing);
    return failed;
}

int main(int argc, char** argv) {
    int first = 1;
    const int stat_only = argc > 1 && strcmp(argv[1], "--stat") == 0;
    if (stat_only) first++;
    if (argc - first < 2) {
        fprintf(stderr, "usage: read_tree [--stat] DIR PHASE...\n");
        return 2;
    }
    const int root = open(argv[first], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) return fail("open", argv[first], NULL);
    int failed = 0;
    for (int i = first + 1; i < argc && !failed; i++) failed = walk_phase(root, argv[i], stat_only);
    close(root);
    return failed;
}
