// The WASI module as a whole: configuration, the descriptor table, the
// standard streams and preopens, and how a function becomes a host export.
#include "morel/wasm/Wasi.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "wasi/WasiState.h"

namespace morel::wasm {
namespace wasi {

Errno fromHostErrno(int error) {
  switch (error) {
    case 0:
      return Errno::Success;
    case E2BIG:
      return Errno::TooBig;
    case EACCES:
      return Errno::Access;
    case EAGAIN:
      return Errno::Again;
    case EBADF:
      return Errno::BadF;
    case EBUSY:
      return Errno::Busy;
    case EEXIST:
      return Errno::Exist;
    case EFAULT:
      return Errno::Fault;
    case EFBIG:
      return Errno::FileTooBig;
    case EINTR:
      return Errno::Intr;
    case EINVAL:
      return Errno::Inval;
    case EIO:
      return Errno::Io;
    case EISDIR:
      return Errno::IsDir;
    case ELOOP:
      return Errno::Loop;
    case EMFILE:
      return Errno::MFile;
    case EMLINK:
      return Errno::MLink;
    case ENAMETOOLONG:
      return Errno::NameTooLong;
    case ENFILE:
      return Errno::NFile;
    case ENODEV:
      return Errno::NoDev;
    case ENOENT:
      return Errno::NoEnt;
    case ENOMEM:
      return Errno::NoMem;
    case ENOSPC:
      return Errno::NoSpc;
    case ENOSYS:
      return Errno::NoSys;
    case ENOTDIR:
      return Errno::NotDir;
    case ENOTEMPTY:
      return Errno::NotEmpty;
    case EOPNOTSUPP:
      return Errno::NotSup;
    case ENOTTY:
      return Errno::NoTty;
    case ENXIO:
      return Errno::NxIo;
    case EOVERFLOW:
      return Errno::Overflow;
    case EPERM:
      return Errno::Perm;
    case EPIPE:
      return Errno::Pipe;
    case ERANGE:
      return Errno::Range;
    case EROFS:
      return Errno::RoFs;
    case ESPIPE:
      return Errno::SPipe;
    case ETXTBSY:
      return Errno::TxtBsy;
    // openat2's RESOLVE_BENEATH answers EXDEV for a path that leaves its base.
    case EXDEV:
      return Errno::NotCapable;
    default:
      return Errno::Io;
  }
}

FileType fileTypeOf(unsigned mode) {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return FileType::RegularFile;
    case S_IFDIR:
      return FileType::Directory;
    case S_IFCHR:
      return FileType::CharacterDevice;
    case S_IFBLK:
      return FileType::BlockDevice;
    case S_IFLNK:
      return FileType::SymbolicLink;
    default:
      return FileType::Unknown;  // pipes and sockets: preview1 has no pipe type
  }
}

Errno GuestMemory::string(uint32_t address, uint32_t length, std::string& out) const {
  auto b = bytes(address, length);
  if (!b) return Errno::Fault;
  if (std::memchr(b->data(), 0, b->size()) != nullptr) return Errno::Inval;
  out.assign(reinterpret_cast<const char*>(b->data()), b->size());
  return Errno::Success;
}

std::optional<uint32_t> FdTable::insert(std::unique_ptr<FdEntry> entry) {
  for (std::size_t fd = 0; fd < entries_.size(); ++fd)
    if (!entries_[fd]) {
      entries_[fd] = std::move(entry);
      return static_cast<uint32_t>(fd);
    }
  if (entries_.size() >= kMaxDescriptors) return std::nullopt;
  entries_.push_back(std::move(entry));
  return static_cast<uint32_t>(entries_.size() - 1);
}

void FdTable::put(uint32_t fd, std::unique_ptr<FdEntry> entry) {
  if (fd >= entries_.size()) entries_.resize(fd + 1);
  entries_[fd] = std::move(entry);
}

std::unique_ptr<FdEntry> FdTable::take(uint32_t fd) {
  if (fd >= entries_.size()) return nullptr;
  return std::move(entries_[fd]);
}

void Definitions::define(std::string name, std::string_view signature, Body body) {
  defineRaw(std::move(name), signature, [body = std::move(body)](WasiState& state, uint64_t* io) {
    io[0] = static_cast<uint16_t>(body(state, CallArgs{io}));
  });
  exports_.back().type.results.push_back(ValType::I32);
}

void Definitions::defineRaw(std::string name, std::string_view signature, RawBody body) {
  FuncType type;
  for (char c : signature) type.params.push_back(c == 'I' ? ValType::I64 : ValType::I32);
  WasiState* state = &state_;
  exports_.push_back({std::move(name), std::move(type),
                      [state, body = std::move(body)](uint64_t* io) { body(*state, io); }});
}

namespace {

std::unique_ptr<FdEntry> hostFileEntry(int hostFd) {
  auto e = std::make_unique<FdEntry>();
  e->kind = FdEntry::Kind::File;
  e->host.reset(::fcntl(hostFd, F_DUPFD_CLOEXEC, 0));
  if (!e->host)
    e->kind = FdEntry::Kind::Stream;  // a closed host stream reads empty, writes nowhere
  return e;
}

std::unique_ptr<FdEntry> outputEntry(const WasiOutput& out) {
  if (out.hostFd >= 0) return hostFileEntry(out.hostFd);
  auto e = std::make_unique<FdEntry>();
  e->output = out.callback;
  return e;
}

}  // namespace
}  // namespace wasi

Wasi::Wasi(std::unique_ptr<WasiState> state) : state_(std::move(state)) {}
Wasi::~Wasi() = default;

Result<std::unique_ptr<Wasi>> Wasi::create(WasiConfig config) {
  auto state = std::make_unique<WasiState>();
  state->config = std::move(config);
  const WasiConfig& c = state->config;
  state->fds.put(0, c.stdinHostFd >= 0 ? wasi::hostFileEntry(c.stdinHostFd)
                                       : std::make_unique<wasi::FdEntry>());
  state->fds.put(1, wasi::outputEntry(c.stdoutStream));
  state->fds.put(2, wasi::outputEntry(c.stderrStream));
  for (const WasiPreopen& p : c.preopens) {
    auto e = std::make_unique<wasi::FdEntry>();
    e->kind = wasi::FdEntry::Kind::Directory;
    e->host.reset(::open(p.hostPath.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!e->host)
      return fail("cannot read file", 0, Diagnostic::Unit::Byte,
                  absl::StrCat(p.hostPath, ": cannot open as a directory: ", std::strerror(errno)));
    e->preopen = true;
    e->preopenName = p.guestPath;
    if (!state->fds.insert(std::move(e)))
      return fail("argument error", 0, Diagnostic::Unit::Byte, "too many preopened directories");
  }
  return std::unique_ptr<Wasi>(new Wasi(std::move(state)));
}

std::unique_ptr<WasmInstance> Wasi::instantiate(Runtime& runtime) {
  state_->limits = &runtime.limits();
  wasi::Definitions d(*state_);
  wasi::defineEnvironmentFunctions(d);
  wasi::defineClockFunctions(d);
  wasi::defineFdFunctions(d);
  wasi::definePathFunctions(d);
  return WasmInstance::hostModule(runtime, d.take());
}

void Wasi::bindMemory(std::shared_ptr<WasmMemory> memory) {
  state_->memory = std::move(memory);
}

std::optional<uint32_t> Wasi::exitCode() const {
  return state_->exitCode;
}

}  // namespace morel::wasm
