// A main() for the fuzz targets in builds without libFuzzer (the normal gcc
// build): runs LLVMFuzzerTestOneInput once on every file under the
// directories (or files) given as arguments, so every crash input kept in
// tests/fuzz/regressions/ and every seed in tests/fuzz/corpus/ is replayed
// by `ctest -L unit` everywhere. A target that breaks an invariant aborts,
// which fails the test; the last "running" line names the input. Exits 2
// when no input was found at all, so a wrong path cannot pass quietly.
//   fuzz_regress_lab DIR_OR_FILE...
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv)
    __attribute__((weak));

namespace {

namespace fs = std::filesystem;

// Sorted, so that runs are repeatable and a failure is easy to find again.
std::vector<fs::path> InputsUnder(const fs::path& root) {
  std::vector<fs::path> files;
  if (fs::is_regular_file(root)) return {root};
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR_OR_FILE...\n", argv[0]);
    return 2;
  }
  size_t count = 0;
  for (int i = 1; i < argc; ++i) {
    std::error_code ec;
    if (!fs::exists(argv[i], ec)) {
      // regressions/<target>/ exists only once a crash input was kept; a
      // run that finds no input at all fails below.
      std::fprintf(stderr, "%s: no such directory, skipped\n", argv[i]);
      continue;
    }
    for (const fs::path& file : InputsUnder(argv[i])) {
      std::ifstream in(file, std::ios::binary);
      std::string data((std::istreambuf_iterator<char>(in)),
                       std::istreambuf_iterator<char>());
      if (!in && !in.eof()) {
        std::fprintf(stderr, "%s: cannot read\n", file.c_str());
        return 2;
      }
      std::fprintf(stderr, "running %s (%zu bytes)\n", file.c_str(),
                   data.size());
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()),
                             data.size());
      ++count;
    }
  }
  std::fprintf(stderr, "%zu inputs passed\n", count);
  return count == 0 ? 2 : 0;
}
