// What a process is given and how it ends: args_*, environ_*, random_get,
// sched_yield, proc_exit, proc_raise, and the sock_* calls (refused).
#include <sys/random.h>

#include <sched.h>

#include "morel/framework/Trap.h"
#include "wasi/WasiState.h"

namespace morel::wasm::wasi {
namespace {

// *_sizes_get: the count and the bytes the strings take with their NULs.
Errno listSizes(const std::vector<std::string>& list, const GuestMemory& m, uint32_t countAt,
                uint32_t sizeAt) {
  uint64_t bytes = 0;
  for (const std::string& s : list) bytes += s.size() + 1;
  if (!m.store(countAt, static_cast<uint32_t>(list.size())) ||
      !m.store(sizeAt, static_cast<uint32_t>(bytes)))
    return Errno::Fault;
  return Errno::Success;
}

// *_get: the pointer array at `pointersAt`, the NUL-terminated strings at `bufferAt`.
// Both ranges are checked whole before anything is written.
Errno listGet(const std::vector<std::string>& list, const GuestMemory& m, uint32_t pointersAt,
              uint32_t bufferAt) {
  uint64_t bytes = 0;
  for (const std::string& s : list) bytes += s.size() + 1;
  auto pointers = m.bytes(pointersAt, uint64_t{4} * list.size());
  auto buffer = m.bytes(bufferAt, bytes);
  if (!pointers || !buffer) return Errno::Fault;
  uint64_t offset = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto address = static_cast<uint32_t>(bufferAt + offset);
    std::memcpy(pointers->data() + 4 * i, &address, 4);
    std::memcpy(buffer->data() + offset, list[i].c_str(), list[i].size() + 1);
    offset += list[i].size() + 1;
  }
  return Errno::Success;
}

}  // namespace

void defineEnvironmentFunctions(Definitions& d) {
  d.define("args_sizes_get", "ii", [](WasiState& s, CallArgs a) {
    return listSizes(s.config.arguments, s.guestMemory(), a.u32(0), a.u32(1));
  });
  d.define("args_get", "ii", [](WasiState& s, CallArgs a) {
    return listGet(s.config.arguments, s.guestMemory(), a.u32(0), a.u32(1));
  });
  d.define("environ_sizes_get", "ii", [](WasiState& s, CallArgs a) {
    return listSizes(s.config.environment, s.guestMemory(), a.u32(0), a.u32(1));
  });
  d.define("environ_get", "ii", [](WasiState& s, CallArgs a) {
    return listGet(s.config.environment, s.guestMemory(), a.u32(0), a.u32(1));
  });
  d.define("random_get", "ii", [](WasiState& s, CallArgs a) {
    auto buffer = s.guestMemory().bytes(a.u32(0), a.u32(1));
    if (!buffer) return Errno::Fault;
    std::size_t done = 0;
    while (done < buffer->size()) {
      ssize_t n = ::getrandom(buffer->data() + done, buffer->size() - done, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return lastHostError();
      done += static_cast<std::size_t>(n);
    }
    return Errno::Success;
  });
  d.define("sched_yield", "", [](WasiState&, CallArgs) {
    ::sched_yield();
    return Errno::Success;
  });
  // Sockets: a guest has none (preview1 cannot open one), so each call is
  // refused; they exist so that programs linking them still load.
  const std::pair<const char*, const char*> sockets[] = {{"sock_accept", "iii"},
                                                         {"sock_recv", "iiiiii"},
                                                         {"sock_send", "iiiii"},
                                                         {"sock_shutdown", "ii"}};
  for (const auto& [name, signature] : sockets)
    d.define(name, signature, [](WasiState&, CallArgs) { return Errno::NotSup; });
  // Signals are not delivered to a guest; wasmtime refuses them too.
  d.define("proc_raise", "i", [](WasiState&, CallArgs) { return Errno::NoSys; });
  // The exit code stays with the state; the guest unwinds through every tier
  // like a trap, with the status kGuestExit that the embedder tells apart.
  d.defineRaw("proc_exit", "i", [](WasiState& s, uint64_t* io) {
    s.exitCode = static_cast<uint32_t>(io[0]);
    throw TrapException{&kGuestExit};
  });
}

}  // namespace morel::wasm::wasi
