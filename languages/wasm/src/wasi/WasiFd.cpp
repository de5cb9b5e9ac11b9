// Descriptors: fd_read/write/pread/pwrite through checked iovecs, seek and
// tell, stat and flags, preopen names, readdir, renumber and close.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <climits>

#include "wasi/WasiState.h"

namespace morel::wasm::wasi {

Errno storeFilestat(const GuestMemory& m, uint32_t at, const struct stat& st) {
  auto out = m.bytes(at, 64);
  if (!out) return Errno::Fault;
  auto put = [&](std::size_t offset, uint64_t v) { std::memcpy(out->data() + offset, &v, 8); };
  std::memset(out->data(), 0, 64);
  put(0, st.st_dev);
  put(8, st.st_ino);
  (*out)[16] = static_cast<uint8_t>(fileTypeOf(st.st_mode));
  put(24, st.st_nlink);
  put(32, static_cast<uint64_t>(st.st_size));
  put(40, nanosecondsOf(st.st_atim));
  put(48, nanosecondsOf(st.st_mtim));
  put(56, nanosecondsOf(st.st_ctim));
  return Errno::Success;
}

std::optional<std::array<timespec, 2>> fileTimes(uint64_t atime, uint64_t mtime, uint32_t flags) {
  constexpr uint32_t kAtim = 1, kAtimNow = 2, kMtim = 4, kMtimNow = 8;
  if ((flags & (kAtim | kAtimNow)) == (kAtim | kAtimNow) ||
      (flags & (kMtim | kMtimNow)) == (kMtim | kMtimNow) || (flags & ~15u) != 0)
    return std::nullopt;
  auto one = [](uint64_t t, bool set, bool setNow) {
    if (setNow) return timespec{0, UTIME_NOW};
    if (!set) return timespec{0, UTIME_OMIT};
    return timespec{static_cast<time_t>(t / 1'000'000'000u), static_cast<long>(t % 1'000'000'000u)};
  };
  return std::array{one(atime, (flags & kAtim) != 0, (flags & kAtimNow) != 0),
                    one(mtime, (flags & kMtim) != 0, (flags & kMtimNow) != 0)};
}

namespace {

// The guest's iovec array (8 bytes each: buffer, length) as host iovecs, every
// buffer checked. Past IOV_MAX entries the rest is left out: a short read or
// write, which the guest must handle anyway.
Errno gather(const GuestMemory& m, uint32_t iovs, uint32_t count, std::vector<iovec>& out) {
  auto array = m.bytes(iovs, uint64_t{8} * count);
  if (!array) return Errno::Fault;
  count = std::min<uint32_t>(count, IOV_MAX);
  out.clear();
  for (std::size_t i = 0; i < count; ++i) {
    uint32_t address = 0, length = 0;
    std::memcpy(&address, array->data() + 8 * i, 4);
    std::memcpy(&length, array->data() + 8 * i + 4, 4);
    auto buffer = m.bytes(address, length);
    if (!buffer) return Errno::Fault;
    out.push_back(iovec{buffer->data(), buffer->size()});
  }
  return Errno::Success;
}

// A call that reads or writes with host iovecs; its count goes to `resultAt`.
template <class Io>
Errno transfer(WasiState& s, CallArgs a, uint32_t resultAt, bool writing, Io io) {
  FdEntry* e = s.fds.get(a.u32(0));
  if (e == nullptr) return Errno::BadF;
  GuestMemory m = s.guestMemory();
  std::vector<iovec> iov;
  if (Errno err = gather(m, a.u32(1), a.u32(2), iov); err != Errno::Success) return err;
  if (!m.bytes(resultAt, 4)) return Errno::Fault;
  uint64_t done = 0;
  switch (e->kind) {
    case FdEntry::Kind::Directory:
      return Errno::IsDir;
    case FdEntry::Kind::Stream:
      if (writing) {
        // One piece per buffer, straight from guest memory: no copy as large as the guest's write.
        // The count must fit the guest's u32: past 2 GiB the write is short, as writev's.
        for (const iovec& v : iov) {
          if (done + v.iov_len > INT32_MAX) break;
          if (e->output && v.iov_len != 0) e->output({static_cast<const char*>(v.iov_base), v.iov_len});
          done += v.iov_len;
        }
      }
      break;  // reading a stream: end of file
    case FdEntry::Kind::File: {
      ssize_t n = 0;
      do n = io(e->host.get(), iov);
      while (n < 0 && errno == EINTR);
      if (n < 0) return lastHostError();
      done = static_cast<uint64_t>(n);
      break;
    }
  }
  m.store(resultAt, static_cast<uint32_t>(done));
  return Errno::Success;
}

int iovCount(const std::vector<iovec>& v) {
  return static_cast<int>(v.size());
}

uint16_t fdflagsOf(int hostFlags) {
  uint16_t flags = 0;
  if ((hostFlags & O_APPEND) != 0) flags |= 1;
  if ((hostFlags & O_SYNC) == O_SYNC)
    flags |= 16;
  else if ((hostFlags & O_DSYNC) != 0)
    flags |= 2;
  if ((hostFlags & O_NONBLOCK) != 0) flags |= 4;
  return flags;
}

Errno fdstat(WasiState& s, CallArgs a) {
  FdEntry* e = s.fds.get(a.u32(0));
  if (e == nullptr) return Errno::BadF;
  auto out = s.guestMemory().bytes(a.u32(1), 24);
  if (!out) return Errno::Fault;
  FileType type =
      FileType::CharacterDevice;  // a stream behaves like /dev/null: seekable, not a tty
  uint16_t flags = 0;
  uint64_t rights = kAllRights;
  if (e->kind != FdEntry::Kind::Stream) {
    struct stat st {};
    if (::fstat(e->host.get(), &st) != 0) return lastHostError();
    type = fileTypeOf(st.st_mode);
    flags = fdflagsOf(::fcntl(e->host.get(), F_GETFL));
    // wasi-libc's isatty() asks for a character device without seek rights.
    if (::isatty(e->host.get()) != 0) rights &= ~(kRightFdSeek | kRightFdTell);
  }
  std::memset(out->data(), 0, 24);
  (*out)[0] = static_cast<uint8_t>(type);
  std::memcpy(out->data() + 2, &flags, 2);
  std::memcpy(out->data() + 8, &rights, 8);
  std::memcpy(out->data() + 16, &rights, 8);
  return Errno::Success;
}

Errno seek(WasiState& s, uint32_t fd, int64_t offset, uint32_t whence, uint32_t resultAt) {
  FdEntry* e = s.fds.get(fd);
  if (e == nullptr) return Errno::BadF;
  if (e->kind != FdEntry::Kind::File)
    return e->kind == FdEntry::Kind::Stream ? Errno::SPipe : Errno::BadF;
  if (!s.guestMemory().bytes(resultAt, 8)) return Errno::Fault;
  static constexpr int kWhence[] = {SEEK_SET, SEEK_CUR, SEEK_END};
  if (whence > 2) return Errno::Inval;
  off_t at = ::lseek(e->host.get(), offset, kWhence[whence]);
  if (at < 0) return lastHostError();
  s.guestMemory().store(resultAt, static_cast<uint64_t>(at));
  return Errno::Success;
}

// fd_readdir's listing, read again from the start.
Errno readListing(FdEntry& e) {
  e.listing.clear();
  int copy = ::fcntl(e.host.get(), F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return lastHostError();
  DIR* dir = ::fdopendir(copy);
  if (dir == nullptr) {
    ::close(copy);
    return lastHostError();
  }
  ::rewinddir(dir);
  while (const dirent* d = ::readdir(dir)) {
    FileType type = fileTypeOf(DTTOIF(d->d_type));  // DT_UNKNOWN: Unknown
    e.listing.push_back({d->d_name, d->d_ino, type});
  }
  ::closedir(dir);
  return Errno::Success;
}

// Entries from `cookie` on, each a 24-byte dirent and its name, until the
// buffer is full; the last may be cut short (the guest then asks again).
Errno readdir(WasiState& s, uint32_t fd, uint32_t bufferAt, uint32_t length, uint64_t cookie,
              uint32_t usedAt) {
  FdEntry* e = s.fds.get(fd);
  if (e == nullptr) return Errno::BadF;
  if (e->kind != FdEntry::Kind::Directory) return Errno::NotDir;
  GuestMemory m = s.guestMemory();
  auto buffer = m.bytes(bufferAt, length);
  if (!buffer || !m.bytes(usedAt, 4)) return Errno::Fault;
  if (cookie == 0 || e->listing.empty())
    if (Errno err = readListing(*e); err != Errno::Success) return err;
  std::size_t used = 0;
  for (uint64_t i = cookie; i < e->listing.size() && used < buffer->size(); ++i) {
    const DirEntry& entry = e->listing[i];
    std::array<uint8_t, 24> header{};
    uint64_t next = i + 1;
    auto nameLength = static_cast<uint32_t>(entry.name.size());
    std::memcpy(header.data(), &next, 8);
    std::memcpy(header.data() + 8, &entry.inode, 8);
    std::memcpy(header.data() + 16, &nameLength, 4);
    header[20] = static_cast<uint8_t>(entry.type);
    std::size_t n = std::min(header.size(), buffer->size() - used);
    std::memcpy(buffer->data() + used, header.data(), n);
    used += n;
    n = std::min<std::size_t>(nameLength, buffer->size() - used);
    std::memcpy(buffer->data() + used, entry.name.data(), n);
    used += n;
  }
  m.store(usedAt, static_cast<uint32_t>(used));
  return Errno::Success;
}

// A call on the host descriptor of a file (or directory) entry.
template <class F>
Errno onHost(WasiState& s, uint32_t fd, F f) {
  FdEntry* e = s.fds.get(fd);
  if (e == nullptr) return Errno::BadF;
  if (e->kind == FdEntry::Kind::Stream) return Errno::Inval;
  return f(e->host.get()) ? Errno::Success : lastHostError();
}

}  // namespace

void defineFdFunctions(Definitions& d) {
  d.define("fd_read", "iiii", [](WasiState& s, CallArgs a) {
    return transfer(s, a, a.u32(3), false,
                    [](int fd, auto& v) { return ::readv(fd, v.data(), iovCount(v)); });
  });
  d.define("fd_write", "iiii", [](WasiState& s, CallArgs a) {
    return transfer(s, a, a.u32(3), true,
                    [](int fd, auto& v) { return ::writev(fd, v.data(), iovCount(v)); });
  });
  d.define("fd_pread", "iiiIi", [](WasiState& s, CallArgs a) {
    if (a.u64(3) > INT64_MAX) return Errno::Inval;
    auto at = static_cast<off_t>(a.u64(3));
    return transfer(s, a, a.u32(4), false,
                    [at](int fd, auto& v) { return ::preadv(fd, v.data(), iovCount(v), at); });
  });
  d.define("fd_pwrite", "iiiIi", [](WasiState& s, CallArgs a) {
    if (a.u64(3) > INT64_MAX) return Errno::Inval;
    auto at = static_cast<off_t>(a.u64(3));
    return transfer(s, a, a.u32(4), true,
                    [at](int fd, auto& v) { return ::pwritev(fd, v.data(), iovCount(v), at); });
  });
  d.define("fd_seek", "iIii", [](WasiState& s, CallArgs a) {
    return seek(s, a.u32(0), static_cast<int64_t>(a.u64(1)), a.u32(2), a.u32(3));
  });
  d.define("fd_tell", "ii",
           [](WasiState& s, CallArgs a) { return seek(s, a.u32(0), 0, 1, a.u32(1)); });
  d.define("fd_close", "i", [](WasiState& s, CallArgs a) {
    return s.fds.take(a.u32(0)) ? Errno::Success : Errno::BadF;
  });
  d.define("fd_renumber", "ii", [](WasiState& s, CallArgs a) {
    if (s.fds.get(a.u32(0)) == nullptr || s.fds.get(a.u32(1)) == nullptr) return Errno::BadF;
    if (a.u32(0) != a.u32(1)) s.fds.put(a.u32(1), s.fds.take(a.u32(0)));
    return Errno::Success;
  });
  d.define("fd_sync", "i", [](WasiState& s, CallArgs a) {
    return onHost(s, a.u32(0), [](int fd) { return ::fsync(fd) == 0; });
  });
  d.define("fd_datasync", "i", [](WasiState& s, CallArgs a) {
    return onHost(s, a.u32(0), [](int fd) { return ::fdatasync(fd) == 0; });
  });
  d.define("fd_fdstat_get", "ii", fdstat);
  d.define("fd_fdstat_set_flags", "ii", [](WasiState& s, CallArgs a) {
    const uint32_t flags = a.u32(1);
    if ((flags & ~5u) != 0) return Errno::NotSup;  // only APPEND and NONBLOCK change after open
    return onHost(s, a.u32(0), [flags](int fd) {
      int host = ::fcntl(fd, F_GETFL);
      host = (host & ~(O_APPEND | O_NONBLOCK)) | ((flags & 1) != 0 ? O_APPEND : 0) |
             ((flags & 4) != 0 ? O_NONBLOCK : 0);
      return host >= 0 && ::fcntl(fd, F_SETFL, host) == 0;
    });
  });
  // Rights are not narrowed by this host (see kAllRights): accepted, no effect.
  d.define("fd_fdstat_set_rights", "iII", [](WasiState& s, CallArgs a) {
    return s.fds.get(a.u32(0)) != nullptr ? Errno::Success : Errno::BadF;
  });
  d.define("fd_prestat_get", "ii", [](WasiState& s, CallArgs a) {
    FdEntry* e = s.fds.get(a.u32(0));
    if (e == nullptr || !e->preopen) return Errno::BadF;
    GuestMemory m = s.guestMemory();
    // prestat: tag 0 (a directory) in the first word, then the name's length.
    if (!m.store(a.u32(1), uint32_t{0}) ||
        !m.store(a.u32(1) + uint64_t{4}, static_cast<uint32_t>(e->preopenName.size())))
      return Errno::Fault;
    return Errno::Success;
  });
  d.define("fd_prestat_dir_name", "iii", [](WasiState& s, CallArgs a) {
    FdEntry* e = s.fds.get(a.u32(0));
    if (e == nullptr || !e->preopen) return Errno::BadF;
    if (a.u32(2) < e->preopenName.size()) return Errno::NameTooLong;
    auto out = s.guestMemory().bytes(a.u32(1), e->preopenName.size());
    if (!out) return Errno::Fault;
    std::memcpy(out->data(), e->preopenName.data(), e->preopenName.size());
    return Errno::Success;
  });
  d.define("fd_filestat_get", "ii", [](WasiState& s, CallArgs a) {
    FdEntry* e = s.fds.get(a.u32(0));
    if (e == nullptr) return Errno::BadF;
    struct stat st {};
    if (e->kind == FdEntry::Kind::Stream)
      st.st_mode = S_IFCHR;
    else if (::fstat(e->host.get(), &st) != 0)
      return lastHostError();
    return storeFilestat(s.guestMemory(), a.u32(1), st);
  });
  d.define("fd_filestat_set_size", "iI", [](WasiState& s, CallArgs a) {
    if (a.u64(1) > INT64_MAX) return Errno::Inval;
    auto size = static_cast<off_t>(a.u64(1));
    return onHost(s, a.u32(0), [size](int fd) { return ::ftruncate(fd, size) == 0; });
  });
  d.define("fd_filestat_set_times", "iIIi", [](WasiState& s, CallArgs a) {
    auto times = fileTimes(a.u64(1), a.u64(2), a.u32(3));
    if (!times) return Errno::Inval;
    return onHost(s, a.u32(0), [&](int fd) { return ::futimens(fd, times->data()) == 0; });
  });
  d.define("fd_readdir", "iiiIi", [](WasiState& s, CallArgs a) {
    return readdir(s, a.u32(0), a.u32(1), a.u32(2), a.u64(3), a.u32(4));
  });
  d.define("fd_advise", "iIIi", [](WasiState& s, CallArgs a) {
    static constexpr int kAdvice[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL,
                                      POSIX_FADV_RANDOM,   POSIX_FADV_WILLNEED,
                                      POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
    if (a.u32(3) > 5 || a.u64(1) > INT64_MAX || a.u64(2) > INT64_MAX) return Errno::Inval;
    return onHost(s, a.u32(0), [&](int fd) {
      errno = ::posix_fadvise(fd, static_cast<off_t>(a.u64(1)), static_cast<off_t>(a.u64(2)),
                              kAdvice[a.u32(3)]);
      return errno == 0;
    });
  });
  d.define("fd_allocate", "iII", [](WasiState& s, CallArgs a) {
    if (a.u64(1) > INT64_MAX || a.u64(2) > INT64_MAX) return Errno::Inval;
    return onHost(s, a.u32(0), [&](int fd) {
      errno = ::posix_fallocate(fd, static_cast<off_t>(a.u64(1)), static_cast<off_t>(a.u64(2)));
      return errno == 0;
    });
  });
}

}  // namespace morel::wasm::wasi
