#pragma once
// Owns the nodes of one tree or one graph: objects are created in place and
// destroyed together with the arena, so node graphs can point at each other
// freely without owning pointers.
#include <memory>
#include <utility>
#include <vector>

namespace morel {

class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  Arena(Arena&&) = default;
  Arena& operator=(Arena&&) = default;

  template <class T, class... Args>
  T* make(Args&&... args) {
    auto owned = std::make_unique<T>(std::forward<Args>(args)...);
    T* raw = owned.get();
    objects_.push_back(std::unique_ptr<void, void (*)(void*)>(
        owned.release(), [](void* p) { delete static_cast<T*>(p); }));
    return raw;
  }

  std::size_t size() const { return objects_.size(); }

 private:
  std::vector<std::unique_ptr<void, void (*)(void*)>> objects_;
};

}  // namespace morel
