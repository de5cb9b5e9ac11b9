#pragma once
// Where the shared test data lives: $MOREL_TESTSUITE, else the directory CMake
// configured (../shared/testsuite beside the checkout). Never copied into the repo.
#include <cstdlib>
#include <filesystem>

namespace morel::testing {

inline std::filesystem::path testsuiteDir() {
  if (const char* env = std::getenv("MOREL_TESTSUITE"); env != nullptr && *env != '\0')
    return env;
#ifdef MOREL_TESTSUITE_DIR
  return MOREL_TESTSUITE_DIR;
#else
  return {};
#endif
}

}  // namespace morel::testing
