#pragma once
// WASI preview1 as a host module, "wasi_snapshot_preview1": the system
// interface wasi-libc programs call (arguments, environment, clocks, random
// bytes, files and directories, poll, exit). Every function is a host function
// call target, so interpreted and compiled guests call it alike.
//
// Sandboxing: the guest reaches only what the configuration grants. Files are
// reached through preopened directories only (absolute paths, `..` above a
// preopen and symlinks leading out are refused with ENOTCAPABLE); every guest
// pointer and length is checked against the guest's linear memory (EFAULT when
// it does not fit), so the host never reads or writes outside it.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "morel/framework/Diagnostic.h"
#include "morel/framework/Runtime.h"
#include "morel/wasm/WasmInstance.h"

namespace morel::wasm {

struct WasiState;

/// Where one of the guest's output streams (stdout, stderr) goes.
struct WasiOutput {
  /// A host file descriptor written directly (the guest sees its real file type,
  /// so a program buffers as it would natively); -1 for none.
  int hostFd = -1;
  /// Otherwise each write's bytes are handed to this callback. With neither,
  /// the output is discarded (a granted stream is what the guest can reach).
  std::function<void(std::string_view)> callback;
};

/// A host directory the guest reaches under the name `guestPath` (e.g. ".").
struct WasiPreopen {
  std::string hostPath;
  std::string guestPath;
};

/// What a WASI guest may see and touch; nothing beyond it.
struct WasiConfig {
  std::vector<std::string> arguments;    ///< argv: argv[0] is the program's name
  std::vector<std::string> environment;  ///< "NAME=VALUE" entries
  std::vector<WasiPreopen> preopens;     ///< fds 3, 4, ... in this order
  int stdinHostFd = -1;                  ///< -1: stdin reads as empty
  WasiOutput stdoutStream;
  WasiOutput stderrStream;
};

class Wasi {
 public:
  static constexpr std::string_view kModuleName = "wasi_snapshot_preview1";

  /// Opens the preopened directories ("cannot read file" when one is not a
  /// readable directory) and the standard streams.
  static Result<std::unique_ptr<Wasi>> create(WasiConfig config);
  ~Wasi();
  Wasi(const Wasi&) = delete;
  Wasi& operator=(const Wasi&) = delete;

  /// The host module to register as kModuleName. Its functions refer to this
  /// object, which must outlive it.
  std::unique_ptr<WasmInstance> instantiate(Runtime& runtime);
  /// The memory guest pointers refer to: the command module's exported
  /// "memory". Until one is bound every pointer is invalid (EFAULT).
  void bindMemory(std::shared_ptr<WasmMemory> memory);
  /// The code the guest passed to proc_exit, once it has called it. proc_exit
  /// ends the guest with the status kGuestExit.
  std::optional<uint32_t> exitCode() const;

 private:
  explicit Wasi(std::unique_ptr<WasiState> state);
  std::unique_ptr<WasiState> state_;
};

}  // namespace morel::wasm
