// Paths, always relative to a directory descriptor: path_open, stat, mkdir,
// rmdir, unlink, rename, link, symlink, readlink.
//
// The sandbox is the kernel's: every path is resolved with openat2 and
// RESOLVE_BENEATH from the directory the guest names, which refuses absolute
// paths, `..` above that directory and symlinks leading out of it (EXDEV, here
// ENOTCAPABLE), with no window between checking a path and using it. Calls that
// act on a name rather than open it resolve the parent that way and then act
// on the last component with the *at call, never following it.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wasi/WasiState.h"

namespace morel::wasm::wasi {
namespace {

// A path the guest may not name: it is refused before the kernel sees it.
constexpr std::size_t kMaxPath = 4096;

int openBeneath(int base, const std::string& path, uint64_t flags, uint64_t mode = 0) {
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.mode = (flags & O_CREAT) != 0 ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0; attempt < 8; ++attempt) {
    // EAGAIN: a rename elsewhere raced the lookup; the kernel asks to retry.
    long fd = ::syscall(SYS_openat2, base, path.c_str(), &how, sizeof how);
    if (fd >= 0 || errno != EAGAIN) return static_cast<int>(fd);
  }
  return -1;
}

// The directory a path is relative to, and the path itself.
Errno directoryAndPath(WasiState& s, uint32_t fd, uint32_t pathAt, uint32_t pathLength, int& dir,
                       std::string& path) {
  FdEntry* e = s.fds.get(fd);
  if (e == nullptr) return Errno::BadF;
  if (e->kind != FdEntry::Kind::Directory) return Errno::NotDir;
  if (pathLength > kMaxPath)
    return s.guestMemory().bytes(pathAt, pathLength) ? Errno::NameTooLong : Errno::Fault;
  if (Errno err = s.guestMemory().string(pathAt, pathLength, path); err != Errno::Success)
    return err;
  if (path.empty()) return Errno::NoEnt;
  if (path.front() == '/') return Errno::NotCapable;
  dir = e->host.get();
  return Errno::Success;
}

// A name inside a sandboxed directory: `parent` was resolved beneath the
// guest's directory, `name` is one component that is never followed.
struct Located {
  UniqueFd parent;
  std::string name;
};

Errno locate(WasiState& s, uint32_t fd, uint32_t pathAt, uint32_t pathLength, Located& out) {
  int dir = -1;
  std::string path;
  if (Errno err = directoryAndPath(s, fd, pathAt, pathLength, dir, path); err != Errno::Success)
    return err;
  // A trailing slash asks for a directory; it is checked here instead of being
  // passed on, because the kernel follows a symlink named with one.
  bool mustBeDirectory = false;
  while (path.size() > 1 && path.back() == '/') {
    path.pop_back();
    mustBeDirectory = true;
  }
  std::size_t slash = path.rfind('/');
  std::string last = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string parent = slash == std::string::npos ? "." : path.substr(0, slash);
  if (last == "." || last == "..") {  // the directory itself: its parent is reached through it
    parent = path;
    last = ".";
  }
  out.parent.reset(openBeneath(dir, parent, O_PATH | O_DIRECTORY));
  if (!out.parent) return lastHostError();
  out.name = last;
  struct stat st {};
  if (mustBeDirectory && ::fstatat(out.parent.get(), last.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
      !S_ISDIR(st.st_mode))
    return Errno::NotDir;
  return Errno::Success;
}

Errno result(bool ok) {
  return ok ? Errno::Success : lastHostError();
}

constexpr uint32_t kLookupSymlinkFollow = 1;
constexpr uint64_t kRightFdRead = uint64_t{1} << 1, kRightFdWrite = uint64_t{1} << 6;

Errno pathOpen(WasiState& s, CallArgs a) {
  const uint32_t lookup = a.u32(1), oflags = a.u32(4), fdflags = a.u32(7), resultAt = a.u32(8);
  const uint64_t rights = a.u64(5);
  int dir = -1;
  std::string path;
  if (Errno err = directoryAndPath(s, a.u32(0), a.u32(2), a.u32(3), dir, path);
      err != Errno::Success)
    return err;
  if ((oflags & ~15u) != 0 || (fdflags & ~31u) != 0) return Errno::Inval;
  if (!s.guestMemory().bytes(resultAt, 4)) return Errno::Fault;  // before anything is created
  uint64_t flags = 0;
  const bool read = (rights & kRightFdRead) != 0, write = (rights & kRightFdWrite) != 0;
  flags |= read && write ? O_RDWR : write ? O_WRONLY : O_RDONLY;
  if ((oflags & 1) != 0) flags |= O_CREAT;
  if ((oflags & 2) != 0) flags |= O_DIRECTORY;
  if ((oflags & 4) != 0) flags |= O_EXCL;
  if ((oflags & 8) != 0) flags |= O_TRUNC;
  if ((fdflags & 1) != 0) flags |= O_APPEND;
  if ((fdflags & 2) != 0) flags |= O_DSYNC;
  if ((fdflags & 4) != 0) flags |= O_NONBLOCK;
  if ((fdflags & 8) != 0) flags |= O_RSYNC;
  if ((fdflags & 16) != 0) flags |= O_SYNC;
  if ((lookup & kLookupSymlinkFollow) == 0) flags |= O_NOFOLLOW;
  auto entry = std::make_unique<FdEntry>();
  entry->host.reset(openBeneath(dir, path, flags, 0666));
  if (!entry->host) return lastHostError();
  struct stat st {};
  if (::fstat(entry->host.get(), &st) != 0) return lastHostError();
  entry->kind = S_ISDIR(st.st_mode) ? FdEntry::Kind::Directory : FdEntry::Kind::File;
  std::optional<uint32_t> fd = s.fds.insert(std::move(entry));
  if (!fd) return Errno::MFile;
  s.guestMemory().store(resultAt, *fd);
  return Errno::Success;
}

// The file a path names, a final symlink followed (beneath the directory, as
// every symlink on the way): for the calls with LOOKUP_SYMLINK_FOLLOW, whose
// directory is argument 0 and path arguments 2 and 3.
Errno openFollowed(WasiState& s, CallArgs a, uint64_t flags, UniqueFd& file) {
  int dir = -1;
  std::string path;
  if (Errno err = directoryAndPath(s, a.u32(0), a.u32(2), a.u32(3), dir, path);
      err != Errno::Success)
    return err;
  file.reset(openBeneath(dir, path, flags));
  return file ? Errno::Success : lastHostError();
}

Errno filestat(WasiState& s, CallArgs a) {
  const uint32_t resultAt = a.u32(4);
  struct stat st {};
  if ((a.u32(1) & kLookupSymlinkFollow) != 0) {
    UniqueFd file;
    if (Errno err = openFollowed(s, a, O_PATH, file); err != Errno::Success) return err;
    if (::fstat(file.get(), &st) != 0) return lastHostError();
  } else {
    Located at;
    if (Errno err = locate(s, a.u32(0), a.u32(2), a.u32(3), at); err != Errno::Success) return err;
    if (::fstatat(at.parent.get(), at.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return lastHostError();
  }
  return storeFilestat(s.guestMemory(), resultAt, st);
}

Errno setTimes(WasiState& s, CallArgs a) {
  auto times = fileTimes(a.u64(4), a.u64(5), a.u32(6));
  if (!times) return Errno::Inval;
  if ((a.u32(1) & kLookupSymlinkFollow) != 0) {
    // O_PATH descriptors cannot take times: opened for reading, or else writing.
    UniqueFd file;
    Errno err = openFollowed(s, a, O_RDONLY | O_NONBLOCK, file);
    if (err == Errno::Access) err = openFollowed(s, a, O_WRONLY | O_NONBLOCK, file);
    if (err != Errno::Success) return err;
    return result(::futimens(file.get(), times->data()) == 0);
  }
  Located at;
  if (Errno err = locate(s, a.u32(0), a.u32(2), a.u32(3), at); err != Errno::Success) return err;
  return result(::utimensat(at.parent.get(), at.name.c_str(), times->data(), AT_SYMLINK_NOFOLLOW) ==
                0);
}

// Two names, as rename and link take them: the argument indices of each
// directory and of each path (its length follows it).
Errno locatePair(WasiState& s, CallArgs a, std::array<int, 4> at, Located& from, Located& to) {
  if (Errno err = locate(s, a.u32(at[0]), a.u32(at[1]), a.u32(at[1] + 1), from);
      err != Errno::Success)
    return err;
  return locate(s, a.u32(at[2]), a.u32(at[3]), a.u32(at[3] + 1), to);
}

}  // namespace

void definePathFunctions(Definitions& d) {
  d.define("path_open", "iiiiiIIii", pathOpen);
  d.define("path_filestat_get", "iiiii", filestat);
  d.define("path_filestat_set_times", "iiiiIIi", setTimes);
  d.define("path_create_directory", "iii", [](WasiState& s, CallArgs a) {
    Located at;
    if (Errno err = locate(s, a.u32(0), a.u32(1), a.u32(2), at); err != Errno::Success) return err;
    return result(::mkdirat(at.parent.get(), at.name.c_str(), 0777) == 0);
  });
  d.define("path_remove_directory", "iii", [](WasiState& s, CallArgs a) {
    Located at;
    if (Errno err = locate(s, a.u32(0), a.u32(1), a.u32(2), at); err != Errno::Success) return err;
    return result(::unlinkat(at.parent.get(), at.name.c_str(), AT_REMOVEDIR) == 0);
  });
  d.define("path_unlink_file", "iii", [](WasiState& s, CallArgs a) {
    Located at;
    if (Errno err = locate(s, a.u32(0), a.u32(1), a.u32(2), at); err != Errno::Success) return err;
    return result(::unlinkat(at.parent.get(), at.name.c_str(), 0) == 0);
  });
  d.define("path_rename", "iiiiii", [](WasiState& s, CallArgs a) {
    Located from, to;
    if (Errno err = locatePair(s, a, {0, 1, 3, 4}, from, to); err != Errno::Success) return err;
    return result(
        ::renameat(from.parent.get(), from.name.c_str(), to.parent.get(), to.name.c_str()) == 0);
  });
  d.define("path_link", "iiiiiii", [](WasiState& s, CallArgs a) {
    // Following a symlink here could link a file from outside the sandbox: the
    // old name is linked as it is.
    if ((a.u32(1) & kLookupSymlinkFollow) != 0) return Errno::NotSup;
    Located from, to;
    if (Errno err = locatePair(s, a, {0, 2, 4, 5}, from, to); err != Errno::Success) return err;
    return result(
        ::linkat(from.parent.get(), from.name.c_str(), to.parent.get(), to.name.c_str(), 0) == 0);
  });
  d.define("path_symlink", "iiiii", [](WasiState& s, CallArgs a) {
    std::string target;
    if (a.u32(1) > kMaxPath) return Errno::NameTooLong;
    if (Errno err = s.guestMemory().string(a.u32(0), a.u32(1), target); err != Errno::Success)
      return err;
    if (target.empty()) return Errno::NoEnt;
    // An absolute target could never be followed inside the sandbox; refused as wasmtime does.
    if (target.front() == '/') return Errno::NotCapable;
    Located at;
    if (Errno err = locate(s, a.u32(2), a.u32(3), a.u32(4), at); err != Errno::Success) return err;
    return result(::symlinkat(target.c_str(), at.parent.get(), at.name.c_str()) == 0);
  });
  d.define("path_readlink", "iiiiii", [](WasiState& s, CallArgs a) {
    Located at;
    if (Errno err = locate(s, a.u32(0), a.u32(1), a.u32(2), at); err != Errno::Success) return err;
    GuestMemory m = s.guestMemory();
    auto buffer = m.bytes(a.u32(3), a.u32(4));
    if (!buffer || !m.bytes(a.u32(5), 4)) return Errno::Fault;
    ssize_t n = ::readlinkat(at.parent.get(), at.name.c_str(),
                             reinterpret_cast<char*>(buffer->data()), buffer->size());
    if (n < 0) return lastHostError();
    m.store(a.u32(5), static_cast<uint32_t>(n));
    return Errno::Success;
  });
}

}  // namespace morel::wasm::wasi
