// Exercises the file system calls a C program makes through wasi-libc:
// mkdir, open/create, write, pwrite/pread, seek and tell, truncate, stat,
// rename, symlink and readlink, readdir (sorted), unlink and rmdir, and the
// errors of the usual mistakes. Run in a directory of its own.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int failures = 0;

static void check(const char* what, int ok) {
  printf("%-28s %s\n", what, ok ? "ok" : strerror(errno));
  if (!ok) ++failures;
}

static int compare(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

static void list(const char* path) {
  DIR* dir = opendir(path);
  if (dir == NULL) {
    check("opendir", 0);
    return;
  }
  char* names[64];
  int n = 0;
  struct dirent* e;
  while ((e = readdir(dir)) != NULL && n < 64) names[n++] = strdup(e->d_name);
  closedir(dir);
  qsort(names, (size_t)n, sizeof *names, compare);
  printf("%s:", path);
  for (int i = 0; i < n; ++i) {
    printf(" %s", names[i]);
    free(names[i]);
  }
  printf("\n");
}

int main(void) {
  check("mkdir work", mkdir("work", 0755) == 0);
  check("mkdir work again fails", mkdir("work", 0755) != 0 && errno == EEXIST);
  int fd = open("work/data.bin", O_CREAT | O_RDWR | O_TRUNC, 0644);
  check("create work/data.bin", fd >= 0);
  check("write", write(fd, "hello, world", 12) == 12);
  check("pwrite at 7", pwrite(fd, "WASI!", 5, 7) == 5);
  char buffer[64] = {0};
  check("pread at 0", pread(fd, buffer, 12, 0) == 12 && memcmp(buffer, "hello, WASI!", 12) == 0);
  check("tell is 12", lseek(fd, 0, SEEK_CUR) == 12);
  check("seek to end - 6", lseek(fd, -6, SEEK_END) == 6);
  memset(buffer, 0, sizeof buffer);
  check("read rest", read(fd, buffer, sizeof buffer) == 6 && strcmp(buffer, " WASI!") == 0);
  check("ftruncate to 5", ftruncate(fd, 5) == 0);
  struct stat st;
  check("fstat size 5", fstat(fd, &st) == 0 && st.st_size == 5 && S_ISREG(st.st_mode));
  check("close", close(fd) == 0);
  check("close again fails", close(fd) != 0 && errno == EBADF);
  check("stat directory", stat("work", &st) == 0 && S_ISDIR(st.st_mode));
  check("stat missing fails", stat("work/none", &st) != 0 && errno == ENOENT);
  check("rename", rename("work/data.bin", "work/renamed.bin") == 0);
  check("symlink", symlink("renamed.bin", "work/link") == 0);
  char target[64] = {0};
  check("readlink",
        readlink("work/link", target, sizeof target) == 11 && strcmp(target, "renamed.bin") == 0);
  check("lstat symlink", lstat("work/link", &st) == 0 && S_ISLNK(st.st_mode));
  check("stat through symlink", stat("work/link", &st) == 0 && st.st_size == 5);
  FILE* f = fopen("work/link", "r");
  check("fopen through symlink",
        f != NULL && fgets(buffer, sizeof buffer, f) != NULL && strcmp(buffer, "hello") == 0);
  if (f != NULL) fclose(f);
  check("mkdir work/sub", mkdir("work/sub", 0755) == 0);
  f = fopen("work/sub/../sub/note.txt", "w");
  check("fopen with .. inside", f != NULL && fputs("note\n", f) >= 0);
  if (f != NULL) fclose(f);
  list("work");
  list("work/sub");
  check("rmdir non-empty fails", rmdir("work/sub") != 0 && (errno == ENOTEMPTY || errno == EEXIST));
  check("unlink note", unlink("work/sub/note.txt") == 0);
  check("rmdir sub", rmdir("work/sub") == 0);
  check("unlink directory fails", unlink("work") != 0);
  check("open directory for writing fails", open("work", O_WRONLY) < 0 && errno == EISDIR);
  check("open file as directory fails",
        open("work/renamed.bin", O_RDONLY | O_DIRECTORY) < 0 && errno == ENOTDIR);
  check("exclusive create of existing fails",
        open("work/renamed.bin", O_CREAT | O_EXCL | O_WRONLY, 0644) < 0 && errno == EEXIST);
  fd = open("work/append.txt", O_CREAT | O_WRONLY | O_APPEND, 0644);
  check("append", fd >= 0 && write(fd, "a", 1) == 1 && lseek(fd, 0, SEEK_SET) == 0 &&
                      write(fd, "b", 1) == 1 && close(fd) == 0);
  f = fopen("work/append.txt", "r");
  check("appended at the end",
        f != NULL && fgets(buffer, sizeof buffer, f) != NULL && strcmp(buffer, "ab") == 0);
  if (f != NULL) fclose(f);
  struct timespec times[2] = {{1000000000, 0}, {1234567890, 500}};
  check("utimensat", utimensat(AT_FDCWD, "work/append.txt", times, 0) == 0);
  check("mtime set", stat("work/append.txt", &st) == 0 && st.st_mtim.tv_sec == 1234567890 &&
                         st.st_mtim.tv_nsec == 500);
  fd = open("work/append.txt", O_RDWR);
  times[1].tv_sec = 1300000000;
  check("futimens", fd >= 0 && futimens(fd, times) == 0 && fstat(fd, &st) == 0 &&
                        st.st_mtim.tv_sec == 1300000000);
  check("posix_fallocate",
        posix_fallocate(fd, 0, 100) == 0 && fstat(fd, &st) == 0 && st.st_size == 100);
  check("posix_fadvise", posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL) == 0);
  check("fcntl O_APPEND",
        fcntl(fd, F_SETFL, O_APPEND) == 0 && (fcntl(fd, F_GETFL) & O_APPEND) != 0);
  check("fsync", fsync(fd) == 0);
  check("fdatasync", fdatasync(fd) == 0);
  close(fd);
  check("link", link("work/append.txt", "work/hard") == 0 && stat("work/hard", &st) == 0 &&
                    st.st_nlink == 2);
  check("unlink hard", unlink("work/hard") == 0);
  // More entries than one fd_readdir buffer holds: the listing continues by cookie.
  check("mkdir work/many", mkdir("work/many", 0755) == 0);
  char name[128];
  for (int i = 0; i < 300; ++i) {
    snprintf(name, sizeof name, "work/many/an-entry-with-a-rather-long-name-%03d", i);
    int created = open(name, O_CREAT | O_WRONLY, 0644);
    if (created < 0 || close(created) != 0) check(name, 0);
  }
  DIR* many = opendir("work/many");
  int entries = 0;
  unsigned long nameSum = 0;
  for (struct dirent* e; many != NULL && (e = readdir(many)) != NULL; ++entries)
    for (const char* c = e->d_name; *c; ++c) nameSum += (unsigned char)*c;
  if (many != NULL) closedir(many);
  printf("work/many: %d entries, name bytes sum %lu\n", entries, nameSum);
  for (int i = 0; i < 300; ++i) {
    snprintf(name, sizeof name, "work/many/an-entry-with-a-rather-long-name-%03d", i);
    if (unlink(name) != 0) check(name, 0);
  }
  check("rmdir work/many", rmdir("work/many") == 0);
  check("unlink link", unlink("work/link") == 0);
  list("work");
  struct timespec t;
  check("monotonic clock", clock_gettime(CLOCK_MONOTONIC, &t) == 0);
  struct timespec nap = {0, 20 * 1000 * 1000};
  struct timespec before, after;
  clock_gettime(CLOCK_MONOTONIC, &before);
  check("nanosleep 20 ms", nanosleep(&nap, NULL) == 0);
  clock_gettime(CLOCK_MONOTONIC, &after);
  long long slept =
      (after.tv_sec - before.tv_sec) * 1000000000LL + (after.tv_nsec - before.tv_nsec);
  check("slept at least 20 ms", slept >= 20 * 1000 * 1000);
  printf("%d failures\n", failures);
  return failures != 0;
}
