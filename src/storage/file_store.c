#include "storage/file_store.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void parley_file_store_hash(const void *data, size_t len, char hex[PARLEY_SHA256_HEX_SIZE]) {
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, data, len);
    sodium_bin2hex(hex, PARLEY_SHA256_HEX_SIZE, digest, sizeof digest);
}

static bool valid_hex(const char *hex) {
    if (strlen(hex) != PARLEY_SHA256_HEX_SIZE - 1) {
        return false;
    }
    for (const char *p = hex; *p != '\0'; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) {
            return false;
        }
    }
    return true;
}

/* The detail is for the log (parley_error_public hides storage texts); a
 * full disk is said so to the client. */
static parley_status io_fail(parley_error *err, const char *what) {
    int e = errno;
    return parley_error_set(err, PARLEY_E_STORAGE,
                            e == ENOSPC || e == EDQUOT ? PARLEY_ERROR_CODE_STORAGE_FULL : NULL,
                            "file store: %s: %s", what, strerror(e));
}

static bool make_dir(const char *path) {
    return mkdir(path, 0700) == 0 || errno == EEXIST;
}

static bool sync_dir(const char *path) {
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    int rc = fsync(fd);
    close(fd);
    return rc == 0;
}

static bool write_all(int fd, const char *data, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        data += n;
        len -= (size_t)n;
    }
    return true;
}

parley_status parley_file_store_put(const char *root, const void *data, size_t len,
                                    char hex[PARLEY_SHA256_HEX_SIZE], parley_error *err) {
    parley_file_store_hash(data, len, hex);
    char dir1[4096], dir2[4096], final[4096], tmp[4096 + 32];
    int n1 = snprintf(dir1, sizeof dir1, "%s/%.2s", root, hex);
    int n2 = snprintf(dir2, sizeof dir2, "%s/%.2s", dir1, hex + 2);
    int n3 = snprintf(final, sizeof final, "%s/%s", dir2, hex);
    if (n1 < 0 || n2 < 0 || n3 < 0 || (size_t)n3 >= sizeof final - 32) {
        return parley_error_set(err, PARLEY_E_STORAGE, NULL, "file store: path too long");
    }
    struct stat st;
    if (stat(final, &st) == 0 && st.st_size == (off_t)len) {
        return PARLEY_OK; /* the same content is already stored (whole: renamed in) */
    }
    if (!make_dir(root) || !make_dir(dir1) || !make_dir(dir2)) {
        return io_fail(err, "mkdir");
    }
    unsigned char rnd[8];
    randombytes_buf(rnd, sizeof rnd);
    char rnd_hex[17];
    sodium_bin2hex(rnd_hex, sizeof rnd_hex, rnd, sizeof rnd);
    snprintf(tmp, sizeof tmp, "%s/.tmp-%s", dir2, rnd_hex);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        return io_fail(err, "create");
    }
    bool ok = write_all(fd, data, len) && fsync(fd) == 0;
    int saved = errno;
    ok = close(fd) == 0 && ok;
    if (!ok) {
        unlink(tmp);
        errno = saved;
        return io_fail(err, "write");
    }
    /* rename is atomic: readers see no file or the whole file, and two
     * puts of the same content just replace one complete copy with another */
    if (rename(tmp, final) != 0) {
        saved = errno;
        unlink(tmp);
        errno = saved;
        return io_fail(err, "rename");
    }
    if (!sync_dir(dir2) || !sync_dir(dir1) || !sync_dir(root)) {
        return io_fail(err, "fsync directory");
    }
    return PARLEY_OK;
}

parley_status parley_file_store_read(const char *root, const char *hex, int64_t expected_size,
                                     char **data, size_t *len, parley_error *err) {
    *data = NULL;
    *len = 0;
    if (!valid_hex(hex)) {
        return parley_error_set(err, PARLEY_E_STORAGE, NULL, "file store: bad content hash");
    }
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%.2s/%.2s/%s", root, hex, hex + 2, hex);
    if (n < 0 || (size_t)n >= sizeof path) {
        return parley_error_set(err, PARLEY_E_STORAGE, NULL, "file store: path too long");
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno == ENOENT
                   ? parley_error_set(err, PARLEY_E_NOT_FOUND, "not_found", "the file is gone")
                   : io_fail(err, "open");
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size != (off_t)expected_size) {
        close(fd);
        return parley_error_set(err, PARLEY_E_STORAGE, NULL,
                                "file store: %s does not have its recorded size", hex);
    }
    size_t size = (size_t)st.st_size;
    char *buf = malloc(size > 0 ? size : 1);
    if (buf == NULL) {
        close(fd);
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            free(buf);
            close(fd);
            return io_fail(err, "read");
        }
        got += (size_t)r;
    }
    close(fd);
    *data = buf;
    *len = size;
    return PARLEY_OK;
}

static bool file_path(const char *root, const char *hex, char *path, size_t size) {
    if (!valid_hex(hex)) {
        return false;
    }
    int n = snprintf(path, size, "%s/%.2s/%.2s/%s", root, hex, hex + 2, hex);
    return n > 0 && (size_t)n < size;
}

parley_status parley_file_store_remove(const char *root, const char *hex, bool *removed,
                                       parley_error *err) {
    *removed = false;
    char path[4096];
    if (!file_path(root, hex, path, sizeof path)) {
        return parley_error_set(err, PARLEY_E_STORAGE, NULL, "file store: bad content hash");
    }
    if (unlink(path) != 0) {
        return errno == ENOENT ? PARLEY_OK : io_fail(err, "unlink");
    }
    *removed = true;
    return PARLEY_OK;
}

bool parley_file_store_has(const char *root, const char *hex, int64_t size) {
    char path[4096];
    struct stat st;
    return file_path(root, hex, path, sizeof path) && stat(path, &st) == 0 &&
           st.st_size == (off_t)size;
}
