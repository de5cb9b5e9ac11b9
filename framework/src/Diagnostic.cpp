#include "morel/framework/Diagnostic.h"

#include "absl/strings/str_format.h"

namespace morel {

std::string Diagnostic::toString() const {
  std::string s;
  switch (unit) {
    case Unit::Byte: s = absl::StrFormat("%s at byte 0x%x", category, position); break;
    case Unit::Line:
      s = column == 0 ? absl::StrFormat("%s at line %d", category, position)
                      : absl::StrFormat("%s at line %d:%d", category, position, column);
      break;
    case Unit::Instruction: s = absl::StrFormat("%s at instruction %d", category, position); break;
  }
  if (!detail.empty()) s += ": " + detail;
  return s;
}

}  // namespace morel
