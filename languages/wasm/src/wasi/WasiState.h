#pragma once
// The inside of the WASI host module: its error numbers, the checked view of
// guest memory every function goes through, the descriptor table, and how the
// functions of each file (arguments, clocks, descriptors, paths, poll) are
// defined. Private to languages/wasm/src/wasi.
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <ctime>

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "morel/framework/GuestLimits.h"
#include "morel/wasm/Wasi.h"
#include "morel/wasm/WasmInstance.h"

namespace morel::wasm::wasi {

/// WASI preview1's errno values (witx `errno`), the subset this host returns.
enum class Errno : uint16_t {
  Success = 0,
  TooBig = 1,
  Access = 2,
  Again = 6,
  BadF = 8,
  Busy = 10,
  Exist = 20,
  Fault = 21,
  FileTooBig = 22,
  Intr = 27,
  Inval = 28,
  Io = 29,
  IsDir = 31,
  Loop = 32,
  MFile = 33,
  MLink = 34,
  NameTooLong = 37,
  NFile = 41,
  NoDev = 43,
  NoEnt = 44,
  NoMem = 48,
  NoSpc = 51,
  NoSys = 52,
  NotDir = 54,
  NotEmpty = 55,
  NotSup = 58,
  NoTty = 59,
  NxIo = 60,
  Overflow = 61,
  Perm = 63,
  Pipe = 64,
  Range = 68,
  RoFs = 69,
  SPipe = 70,
  TxtBsy = 74,
  XDev = 75,
  NotCapable = 76,
};

/// The WASI errno for a host errno value.
Errno fromHostErrno(int error);
inline Errno lastHostError() {
  return fromHostErrno(errno);
}

/// witx `filetype`.
enum class FileType : uint8_t {
  Unknown = 0,
  BlockDevice = 1,
  CharacterDevice = 2,
  Directory = 3,
  RegularFile = 4,
  SymbolicLink = 7,
};
FileType fileTypeOf(unsigned mode);  // from a host st_mode

/// Every right of preview1: this host does not narrow rights per descriptor
/// (what is reachable is decided by the preopens, not by rights).
inline constexpr uint64_t kAllRights = (uint64_t{1} << 30) - 1;
inline constexpr uint64_t kRightFdSeek = uint64_t{1} << 2;
inline constexpr uint64_t kRightFdTell = uint64_t{1} << 5;

/// Guest memory as the WASI functions see it: every access is checked against
/// the memory's current size, so a bad pointer or length is EFAULT, never a host
/// access outside the guest's memory.
class GuestMemory {
 public:
  explicit GuestMemory(const WasmMemory* memory) : memory_(memory) {}

  /// [address, address + length) if it lies inside the memory.
  std::optional<std::span<uint8_t>> bytes(uint64_t address, uint64_t length) const {
    if (memory_ == nullptr) return std::nullopt;
    const uint64_t size = memory_->memory->size();
    if (address > size || length > size - address) return std::nullopt;
    return std::span<uint8_t>(memory_->memory->base() + address, length);
  }
  template <class T>
  std::optional<T> load(uint64_t address) const {
    auto b = bytes(address, sizeof(T));
    if (!b) return std::nullopt;
    T v;
    std::memcpy(&v, b->data(), sizeof v);  // Wasm memory is little-endian, as is x86-64
    return v;
  }
  template <class T>
  bool store(uint64_t address, T v) const {
    auto b = bytes(address, sizeof(T));
    if (!b) return false;
    std::memcpy(b->data(), &v, sizeof v);
    return true;
  }
  /// A guest string (a path): EFAULT outside memory, EINVAL with a NUL inside.
  Errno string(uint32_t address, uint32_t length, std::string& out) const;

 private:
  const WasmMemory* memory_;
};

/// An owned host file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

/// One entry of fd_readdir's listing.
struct DirEntry {
  std::string name;
  uint64_t inode = 0;
  FileType type = FileType::Unknown;
};

/// What a guest descriptor stands for.
struct FdEntry {
  enum class Kind : uint8_t {
    File,       ///< a host file descriptor (a regular file, a device, a pipe)
    Directory,  ///< a host directory: the base of path_* calls
    Stream,     ///< a host-side stream: writes go to `output` (or nowhere), reads see end of file
  };
  Kind kind = Kind::Stream;
  UniqueFd host;
  std::function<void(std::string_view)> output;
  /// The guest's name of a preopened directory (fd_prestat_*); empty otherwise.
  std::string preopenName;
  bool preopen = false;
  std::vector<DirEntry> listing;  // fd_readdir's snapshot, taken at cookie 0
};

/// The guest's descriptors: indices into `entries`, a closed one null.
class FdTable {
 public:
  static constexpr std::size_t kMaxDescriptors = 1024;
  FdEntry* get(uint32_t fd) const { return fd < entries_.size() ? entries_[fd].get() : nullptr; }
  /// The lowest free descriptor, or nothing when the table is full (EMFILE).
  std::optional<uint32_t> insert(std::unique_ptr<FdEntry> entry);
  void put(uint32_t fd, std::unique_ptr<FdEntry> entry);
  std::unique_ptr<FdEntry> take(uint32_t fd);

 private:
  std::vector<std::unique_ptr<FdEntry>> entries_;
};

}  // namespace morel::wasm::wasi

namespace morel::wasm {

/// Everything a WASI instance's functions share.
struct WasiState {
  WasiConfig config;
  wasi::FdTable fds;
  std::shared_ptr<WasmMemory> memory;
  std::optional<uint32_t> exitCode;
  GuestLimits* limits = nullptr;  // the running context's, so a long sleep stays interruptible

  wasi::GuestMemory guestMemory() const { return wasi::GuestMemory(memory.get()); }
};

}  // namespace morel::wasm

namespace morel::wasm::wasi {

inline uint64_t nanosecondsOf(const timespec& t) {
  return static_cast<uint64_t>(t.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(t.tv_nsec);
}
/// Writes a witx `filestat` (64 bytes) at `at`.
Errno storeFilestat(const GuestMemory& m, uint32_t at, const struct stat& st);
/// utimensat's times from a *_set_times call (atim, mtim, fstflags), or nothing
/// for contradictory flags (EINVAL).
std::optional<std::array<timespec, 2>> fileTimes(uint64_t atime, uint64_t mtime, uint32_t flags);

/// The raw arguments of a call, read by type.
struct CallArgs {
  const uint64_t* io;
  uint32_t u32(int i) const { return static_cast<uint32_t>(io[i]); }
  uint64_t u64(int i) const { return io[i]; }
};

/// Collects the module's functions. A signature is one letter per parameter:
/// 'i' for i32, 'I' for i64; every function returns an errno as its i32 result.
class Definitions {
 public:
  using Body = std::function<Errno(WasiState&, CallArgs)>;
  explicit Definitions(WasiState& state) : state_(state) {}
  void define(std::string name, std::string_view signature, Body body);
  /// A function that returns nothing and may end the guest (proc_exit).
  using RawBody = std::function<void(WasiState&, uint64_t* io)>;
  void defineRaw(std::string name, std::string_view signature, RawBody body);
  std::vector<WasmInstance::HostExport> take() { return std::move(exports_); }

 private:
  WasiState& state_;
  std::vector<WasmInstance::HostExport> exports_;
};

// One per file of languages/wasm/src/wasi.
void defineEnvironmentFunctions(
    Definitions& d);                        // args_*, environ_*, proc_exit, sched_yield, random_get
void defineClockFunctions(Definitions& d);  // clock_*, poll_oneoff
void defineFdFunctions(Definitions& d);     // fd_*
void definePathFunctions(Definitions& d);   // path_*

}  // namespace morel::wasm::wasi
